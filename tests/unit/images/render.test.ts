import { parseBoundingBoxes } from '../../../src/thumbnail/sizes';
import { UnreadableImageError } from '../../../src/errors';
import { renderThumbnails, type RenderOptions } from '../../../src/images/render';
import { Jimp, JimpMime } from 'jimp';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import {
  decode,
  makeExifRotatedJpeg,
  makeJpeg,
  makePngWithAlpha,
  photoLikePixels,
  pixelAt,
  withExifOrientation,
} from '../../support/sample-images';
import { differenceFromLibvips, fixtures, pngDeclaring, pngWithBadCrc } from '../../support/fixtures';
import { adobeRgbProfile, saturatedSrgb } from '../../support/colour-images';
import { buildPng } from '../../support/png-bytes';

const budget = { maxPixels: 50_000_000, maxBytes: 768 * 2 ** 20 };
const options: RenderOptions = { outputFormat: 'auto', quality: 80, budget };
const defaultSizes = parseBoundingBoxes('75x75,125x125,1280x720');

describe('renderThumbnails', () => {
  it('renders every size of a JPEG as JPEG, fitted inside its box', async () => {
    const thumbnails = await renderThumbnails(await makeJpeg(600, 400), defaultSizes, options);

    expect(thumbnails.map(({ box, width, height }) => [box.label, width, height])).toEqual([
      ['75x75', 75, 50],
      ['125x125', 125, 83],
      ['1280x720', 600, 400], // smaller than the box: kept, never upscaled
    ]);
    for (const thumbnail of thumbnails) {
      expect(thumbnail.format).toBe('jpeg');
      expect(thumbnail.contentType).toBe('image/jpeg');
      const decoded = await decode(thumbnail.body);
      expect(decoded.mime).toBe('image/jpeg');
      expect([decoded.bitmap.width, decoded.bitmap.height]).toEqual([thumbnail.width, thumbnail.height]);
    }
  });

  it('makes an opaque PNG a JPEG thumbnail, and keeps PNG where there is transparency (auto)', async () => {
    const opaque = await sharp(photoLikePixels(200, 100, 2), { raw: { width: 200, height: 100, channels: 4 } })
      .png()
      .toBuffer(); // an alpha channel, every pixel opaque
    const [thumbnail] = await renderThumbnails(opaque, parseBoundingBoxes('50x50'), options);
    expect(thumbnail).toMatchObject({ format: 'jpeg', contentType: 'image/jpeg' });
  });

  it.each([
    ['jpeg', 'image/jpeg'],
    ['png', 'image/png'],
    ['webp', 'image/webp'],
    ['avif', 'image/avif'],
  ] as const)('writes %s when thumbnailFormat says so', async (outputFormat, contentType) => {
    const thumbnails = await renderThumbnails(await makeJpeg(300, 200), defaultSizes, { ...options, outputFormat });
    for (const thumbnail of thumbnails) {
      expect(thumbnail).toMatchObject({ format: outputFormat, contentType });
      const metadata = await sharp(thumbnail.body).metadata();
      expect(metadata.format).toBe(outputFormat === 'avif' ? 'heif' : outputFormat);
      expect([metadata.width, metadata.height]).toEqual([thumbnail.width, thumbnail.height]);
    }
  });

  it('keeps the transparency of a PNG', async () => {
    const [thumbnail] = await renderThumbnails(await makePngWithAlpha(200, 100), parseBoundingBoxes('50x50'), options);

    expect(thumbnail).toMatchObject({ width: 50, height: 25, format: 'png', contentType: 'image/png' });
    const decoded = await decode(thumbnail!.body);
    expect(pixelAt(decoded, 5, 12)).toMatchObject({ r: 255, a: 255 }); // opaque red half
    expect(pixelAt(decoded, 45, 12).a).toBe(0); // transparent half stays transparent
  });

  it('applies EXIF orientation so phone photos come out upright', async () => {
    // Stored 200x100 (top red, bottom blue) with orientation 6: displayed 100x200, red on the right.
    const sideways = await makeExifRotatedJpeg(200, 100, 6);
    const [thumbnail] = await renderThumbnails(sideways, parseBoundingBoxes('50x50'), options);

    expect([thumbnail!.width, thumbnail!.height]).toEqual([25, 50]);
    const decoded = await decode(thumbnail!.body);
    const left = pixelAt(decoded, 3, 25);
    const right = pixelAt(decoded, 21, 25);
    expect(right.r).toBeGreaterThan(200);
    expect(right.b).toBeLessThan(60);
    expect(left.b).toBeGreaterThan(200);
    expect(left.r).toBeLessThan(60);
  });
});

/** Saturated hues, where a wide-gamut profile read as sRGB is furthest off (the pixels are reinterpreted, not converted). */
const saturated = () => sharp(saturatedSrgb(400, 300), { raw: { width: 400, height: 300, channels: 3 } });

/** sharp takes a profile from a file; the Adobe RGB (1998) profile is built at test time. */
function adobeRgbFile(): string {
  const path = join(tmpdir(), 'render-test-adobe-rgb.icc');
  writeFileSync(path, adobeRgbProfile());
  return path;
}

describe('renderThumbnails on every kind of input', () => {
  const box = parseBoundingBoxes('100x100');

  // Decodable: each becomes a 100x75 thumbnail whose pixels match libvips' rendering of the same file.
  // Opaque images come out as JPEG, whatever they came in as (`auto`).
  it.each([
    ['a baseline JPEG', fixtures.jpeg, 'jpeg', 3],
    ['a progressive JPEG', fixtures.progressiveJpeg, 'jpeg', 3],
    ['a grayscale JPEG', fixtures.grayscaleJpeg, 'jpeg', 3],
    ['a CMYK JPEG', fixtures.cmykJpeg, 'jpeg', 3],
    // Converted to sRGB from their profiles, on the largest thumbnail (libvips converts the full image).
    ['a Display P3 JPEG', () => saturated().withIccProfile('p3').jpeg({ quality: 95 }).toBuffer(), 'jpeg', 3],
    ['an Adobe RGB PNG', () => saturated().withIccProfile(adobeRgbFile()).png().toBuffer(), 'jpeg', 3],
    ['a 16-bit PNG', fixtures.png16, 'jpeg', 3],
    ['a TIFF', fixtures.tiff, 'jpeg', 3],
    // The first frame: the second is the negative, which would differ by ~100.
    ['an animated GIF (first frame)', fixtures.animatedGif, 'jpeg', 3],
    ['a WebP', fixtures.webp, 'jpeg', 3],
  ] as const)('renders %s', async (_label, fixture, format, maxDifference) => {
    const source = await fixture();
    const [thumbnail] = await renderThumbnails(source, box, options);
    expect(thumbnail).toMatchObject({ width: 100, height: 75, format });
    const image = await decode(thumbnail!.body);
    expect(await differenceFromLibvips(source, { ...image.bitmap })).toBeLessThan(maxDifference);
  });

  it('renders a BMP', async () => {
    const bmp = await new Jimp({ width: 40, height: 20, color: 0x336699ff }).getBuffer(JimpMime.bmp);
    const [thumbnail] = await renderThumbnails(bmp, box, { ...options, outputFormat: 'png' });
    expect(thumbnail).toMatchObject({ width: 40, height: 20, format: 'png', contentType: 'image/png' });
    expect(pixelAt(await decode(thumbnail!.body), 10, 10)).toEqual({ r: 0x33, g: 0x66, b: 0x99, a: 255 });
  });

  it('goes by the content, not the name: a PNG called .jpg gives PNG thumbnails', async () => {
    const [thumbnail] = await renderThumbnails(await fixtures.png(), box, options);
    expect(thumbnail).toMatchObject({ format: 'png', contentType: 'image/png' });
  });

  it.each([
    ['an empty object', async () => Buffer.alloc(0), 'empty-object'],
    ['a text file named .jpg', async () => Buffer.from('this is not an image'), 'unsupported-format'],
    [
      'an SVG image',
      async () => Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'),
      'unsupported-format',
    ],
    ['a truncated JPEG', async () => (await fixtures.jpeg()).subarray(0, 2000), 'corrupt-image'],
    ['a truncated PNG', async () => (await fixtures.png()).subarray(0, 5000), 'corrupt-image'],
    ['a PNG with a bad CRC', pngWithBadCrc, 'corrupt-image'],
  ] as const)('rejects %s as unreadable, permanently', async (_label, fixture, code) => {
    const rendering = renderThumbnails(await fixture(), box, options);
    await expect(rendering).rejects.toBeInstanceOf(UnreadableImageError);
    await expect(rendering).rejects.toMatchObject({ code });
  });

  it('rejects a decompression bomb from its header, before decoding', async () => {
    const bomb = await pngDeclaring(100_000, 100_000);
    await expect(renderThumbnails(bomb, box, options)).rejects.toMatchObject({
      name: 'ImageTooLargeError',
      code: 'too-many-pixels',
    });
  });

  it('refuses an image whose decode would exceed the memory budget, counting its bit depth', async () => {
    // 16-bit RGBA, 5000x5000: within the pixel limit, but not within a 256 MiB decode budget.
    const deep = buildPng({ width: 5000, height: 5000, bitDepth: 16, colourType: 6 }, Buffer.alloc(16));
    const small = { ...options, budget: { maxPixels: 50_000_000, maxBytes: 256 * 2 ** 20 } };
    await expect(renderThumbnails(deep, box, small)).rejects.toMatchObject({
      name: 'ImageTooLargeError',
      code: 'over-memory-budget',
    });
  });
});

describe('EXIF orientation', () => {
  const RED = { r: 255, g: 0, b: 0 };
  const GREEN = { r: 0, g: 255, b: 0 };
  const BLUE = { r: 0, g: 0, b: 255 };
  const WHITE = { r: 255, g: 255, b: 255 };

  /** Stored 200x100: red, green / blue, white quadrants. */
  async function quadrantJpeg(orientation: number): Promise<Buffer> {
    const image = new Jimp({ width: 200, height: 100, color: 0xffffffff });
    image.scan(0, 0, 200, 100, (x, y, idx) => {
      const colour = y < 50 ? (x < 100 ? RED : GREEN) : x < 100 ? BLUE : WHITE;
      image.bitmap.data[idx] = colour.r;
      image.bitmap.data[idx + 1] = colour.g;
      image.bitmap.data[idx + 2] = colour.b;
    });
    return withExifOrientation(await image.getBuffer(JimpMime.jpeg, { quality: 95 }), orientation);
  }

  function nearest(pixel: { r: number; g: number; b: number }) {
    const named = { RED, GREEN, BLUE, WHITE };
    const distance = (c: typeof RED) => Math.abs(c.r - pixel.r) + Math.abs(c.g - pixel.g) + Math.abs(c.b - pixel.b);
    return Object.entries(named).sort(([, a], [, b]) => distance(a) - distance(b))[0]![0];
  }

  // Displayed size and the colours of the displayed top-left and bottom-right corners; at full size (a
  // 400x400 box) and from a JPEG decoded at 1/8 of its size (a 25x25 box).
  it.each([
    [1, '400x400', '200x100', 'RED', 'WHITE'],
    [2, '400x400', '200x100', 'GREEN', 'BLUE'],
    [3, '400x400', '200x100', 'WHITE', 'RED'],
    [4, '400x400', '200x100', 'BLUE', 'GREEN'],
    [5, '400x400', '100x200', 'RED', 'WHITE'],
    [6, '400x400', '100x200', 'BLUE', 'GREEN'],
    [7, '400x400', '100x200', 'WHITE', 'RED'],
    [8, '400x400', '100x200', 'GREEN', 'BLUE'],
    [1, '25x25', '25x13', 'RED', 'WHITE'],
    [3, '25x25', '25x13', 'WHITE', 'RED'],
    [6, '25x25', '13x25', 'BLUE', 'GREEN'],
    [7, '25x25', '13x25', 'WHITE', 'RED'],
  ])('orientation %i in a %s box comes out upright as %s', async (orientation, box, size, topLeft, bottomRight) => {
    const [thumbnail] = await renderThumbnails(await quadrantJpeg(orientation), parseBoundingBoxes(box), options);
    const image = await decode(thumbnail!.body);
    const { width, height } = image.bitmap;
    expect(`${width}x${height}`).toBe(size);
    expect(nearest(pixelAt(image, Math.floor(width / 4), Math.floor(height / 4)))).toBe(topLeft);
    expect(nearest(pixelAt(image, Math.floor((3 * width) / 4), Math.floor((3 * height) / 4)))).toBe(bottomRight);
  });
});
