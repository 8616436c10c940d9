import { parseBoxSizes } from '../../../src/thumbnail/sizes';
import { renderThumbnails, UnreadableImageError } from '../../../src/thumbnail/transform';
import { decode, makeExifRotatedJpeg, makeJpeg, makePngWithAlpha, pixelAt } from '../../../scripts/lib/sample-images';

const options = { jpegQuality: 80 };
const defaultSizes = parseBoxSizes('75x75,125x125,1280x720');

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

  it('keeps the transparency of a PNG', async () => {
    const [thumbnail] = await renderThumbnails(await makePngWithAlpha(200, 100), parseBoxSizes('50x50'), options);

    expect(thumbnail).toMatchObject({ width: 50, height: 25, format: 'png', contentType: 'image/png' });
    const decoded = await decode(thumbnail!.body);
    expect(pixelAt(decoded, 5, 12)).toMatchObject({ r: 255, a: 255 }); // opaque red half
    expect(pixelAt(decoded, 45, 12).a).toBe(0); // transparent half stays transparent
  });

  it('applies EXIF orientation so phone photos come out upright', async () => {
    // Stored 200x100 (top red, bottom blue) with orientation 6: displayed 100x200, red on the right.
    const sideways = await makeExifRotatedJpeg(200, 100, 6);
    const [thumbnail] = await renderThumbnails(sideways, parseBoxSizes('50x50'), options);

    expect([thumbnail!.width, thumbnail!.height]).toEqual([25, 50]);
    const decoded = await decode(thumbnail!.body);
    const left = pixelAt(decoded, 3, 25);
    const right = pixelAt(decoded, 21, 25);
    expect(right.r).toBeGreaterThan(200);
    expect(right.b).toBeLessThan(60);
    expect(left.b).toBeGreaterThan(200);
    expect(left.r).toBeLessThan(60);
  });

  it.each([
    ['an empty object', Buffer.alloc(0), /empty/],
    ['text named .jpg', Buffer.from('this is not an image'), /not a decodable image/],
  ])('rejects %s as an unreadable image', async (_label, bytes, reason) => {
    const rendering = renderThumbnails(bytes, defaultSizes, options);
    await expect(rendering).rejects.toBeInstanceOf(UnreadableImageError);
    await expect(renderThumbnails(bytes, defaultSizes, options)).rejects.toThrow(reason);
  });

  it('rejects a truncated JPEG as an unreadable image', async () => {
    const jpeg = await makeJpeg(64, 64);
    await expect(renderThumbnails(jpeg.subarray(0, 200), defaultSizes, options)).rejects.toBeInstanceOf(
      UnreadableImageError,
    );
  });
});
