import sharp from 'sharp';
import { ImageTooLargeError, UnreadableImageError } from '../../../../src/errors';
import { inflatedSize, pngFormat } from '../../../../src/images/formats/png';
import { buildPng } from '../../../support/png-bytes';
import { photoLikePixels } from '../../../support/sample-images';

const budget = { maxPixels: 50_000_000, maxBytes: 600 * 2 ** 20 };

function photo(width = 120, height = 90, alpha = false) {
  const image = sharp(photoLikePixels(width, height, 5, alpha), { raw: { width, height, channels: 4 } });
  return alpha ? image : image.removeAlpha();
}

async function decodeBoth(source: Buffer) {
  const decoded = await pngFormat.decode(source, pngFormat.inspect(source, budget));
  const reference = await sharp(source).ensureAlpha().toColourspace('srgb').raw().toBuffer();
  let difference = 0;
  for (let i = 0; i < reference.length; i++) difference += Math.abs(reference[i]! - decoded.bitmap.data[i]!);
  return { decoded, difference: difference / reference.length };
}

describe('pngFormat decodes every kind of PNG to 8-bit RGBA, as libvips does', () => {
  it.each([
    ['RGB', () => photo().png()],
    ['RGBA', () => photo(120, 90, true).png()],
    ['grey', () => photo().toColourspace('b-w').png()],
    ['grey + alpha', () => photo(120, 90, true).toColourspace('b-w').png()],
    ['palette (8-bit)', () => photo().png({ palette: true, colours: 200 })],
    ['palette (1-bit)', () => photo().png({ palette: true, colours: 2 })],
    ['16-bit RGB', () => photo().toColourspace('rgb16').png()],
    ['interlaced (Adam7)', () => photo().png({ progressive: true })],
  ])('%s', async (_label, make) => {
    const { decoded, difference } = await decodeBoth(await make().toBuffer());
    expect([decoded.bitmap.width, decoded.bitmap.height]).toEqual([120, 90]);
    expect(difference).toBeLessThan(1);
  });

  it('says whether the image has an alpha channel or a transparent colour', async () => {
    const opaque = await photo().png().toBuffer();
    const withAlpha = await photo(120, 90, true).png().toBuffer();
    expect((await pngFormat.decode(opaque, pngFormat.inspect(opaque, budget))).hasAlpha).toBe(false);
    expect((await pngFormat.decode(withAlpha, pngFormat.inspect(withAlpha, budget))).hasAlpha).toBe(true);
  });

  it('passes the embedded ICC profile (iCCP) on for colour conversion', async () => {
    const source = await photo().withIccProfile('p3').png().toBuffer();
    const decoded = await pngFormat.decode(source, pngFormat.inspect(source, budget));
    expect(Buffer.from(decoded.iccProfile!).toString('latin1', 36, 40)).toBe('acsp');
  });
});

describe('pngFormat declares what decoding will cost', () => {
  it('counts bit depth and channels: a 16-bit RGBA image declares 64 bits per pixel', async () => {
    const declared = pngFormat.inspect(buildPng({ width: 7000, height: 7000, bitDepth: 16 }, Buffer.alloc(10)), budget);
    expect(declared).toMatchObject({ width: 7000, height: 7000, bitsPerSample: 16, channels: 4 });
  });

  it('knows how many bytes the data of an interlaced image inflates to', () => {
    // 1x1 interlaced: only the first pass has a pixel: one filter byte + 4 bytes.
    expect(inflatedSize(1, 1, 32, true)).toBe(5);
    // Not interlaced: a filter byte per row.
    expect(inflatedSize(10, 3, 24, false)).toBe(3 * (1 + 30));
    // Interlaced passes of an 8x8 image hold 64 pixels in 15 rows in all.
    expect(inflatedSize(8, 8, 8, true)).toBe(64 + 15);
  });
});

describe('pngFormat refuses image data that inflates beyond its header', () => {
  it('an interlaced 1x1 PNG carrying megabytes of compressed data, from the chunk sizes alone', () => {
    const bomb = buildPng({ width: 1, height: 1, interlaced: true }, Buffer.alloc(20 * 2 ** 20), 9);
    // inspect reads chunk headers only: the refusal comes from the compressed size, nothing is inflated.
    expect(() => pngFormat.inspect(bomb, budget)).toThrow(
      expect.objectContaining({
        name: 'ImageTooLargeError',
        code: 'inflated-size-exceeded',
        message: expect.stringContaining('compressed bytes'),
      }) as unknown as Error,
    );
  });

  it('a stream small enough to pass that check but inflating to 256 MiB: stopped once it passes the header', async () => {
    // 1000x1000 RGBA interlaced accounts for about 4 MB; the data is 256 MiB of zeros, 250 KB compressed.
    const bomb = buildPng({ width: 1000, height: 1000, interlaced: true }, Buffer.alloc(256 * 2 ** 20), 9);
    const declared = pngFormat.inspect(bomb, budget);
    const before = process.memoryUsage();
    const started = performance.now();
    await expect(pngFormat.decode(bomb, declared)).rejects.toMatchObject({
      name: 'ImageTooLargeError',
      code: 'inflated-size-exceeded',
    });
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(process.memoryUsage().arrayBuffers - before.arrayBuffers).toBeLessThan(64 * 2 ** 20);
  }, 30_000);

  it('image data that ends early is corrupt', async () => {
    const short = buildPng({ width: 100, height: 100 }, Buffer.alloc(100 * 401 - 50));
    await expect(pngFormat.decode(short, pngFormat.inspect(short, budget))).rejects.toThrow(UnreadableImageError);
  });

  it('a truncated file is corrupt', async () => {
    const truncated = (await photo().png().toBuffer()).subarray(0, 2_000);
    expect(() => pngFormat.inspect(truncated, budget)).toThrow(UnreadableImageError);
  });

  it('the refusal is permanent (ImageTooLargeError)', () => {
    const bomb = buildPng({ width: 1, height: 1, interlaced: true }, Buffer.alloc(2 ** 20));
    expect(() => pngFormat.inspect(bomb, budget)).toThrow(ImageTooLargeError);
  });
});
