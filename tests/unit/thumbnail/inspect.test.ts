import { ImageTooLargeError, UnreadableImageError } from '../../../src/errors';
import { inspectImage } from '../../../src/thumbnail/inspect';
import { withExifOrientation } from '../../support/sample-images';
import { fixtures, jpegDeclaring, pngDeclaring } from '../../support/fixtures';

describe('inspectImage', () => {
  it.each([
    ['jpeg', 'jpg'],
    ['png', 'png'],
    ['tiff', 'tiff'],
    ['animatedGif', 'gif'],
  ] as const)('reads the format and size of a %s from its header', async (fixture, format) => {
    expect(inspectImage(await fixtures[fixture](), 1_000_000)).toEqual({
      format,
      width: 400,
      height: 300,
      orientation: 1,
    });
  });

  it('reads the EXIF orientation of a JPEG', async () => {
    const sideways = withExifOrientation(await fixtures.jpeg(), 6);
    expect(inspectImage(sideways, 1_000_000)).toEqual({ format: 'jpg', width: 400, height: 300, orientation: 6 });
  });

  it('rejects an empty object', () => {
    expect(() => inspectImage(Buffer.alloc(0), 1_000_000)).toThrow(
      expect.objectContaining({ name: 'UnreadableImageError', code: 'empty-object' }),
    );
  });

  it('rejects text, whatever its name says', () => {
    expect(() => inspectImage(Buffer.from('Hello, I am a .jpg'), 1_000_000)).toThrow(
      expect.objectContaining({ code: 'unsupported-format', message: expect.stringMatching(/not an image/) }),
    );
  });

  it('names formats it recognises but cannot decode', async () => {
    expect(() =>
      inspectImage(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>'), 100),
    ).toThrow('SVG images are not supported (supported: JPEG, PNG, GIF, BMP, TIFF)');
    const webp = await fixtures.webp();
    expect(() => inspectImage(webp, 1_000_000)).toThrow(UnreadableImageError);
    expect(() => inspectImage(webp, 1_000_000)).toThrow(/^WEBP images are not supported/);
  });

  it.each([
    ['PNG', pngDeclaring],
    ['JPEG', jpegDeclaring],
  ])('rejects a %s decompression bomb from its header', async (_format, declaring) => {
    const bomb = await declaring(60_000, 60_000);
    expect(bomb.length).toBeLessThan(1_000_000);
    expect(() => inspectImage(bomb, 50_000_000)).toThrow(ImageTooLargeError);
    expect(() => inspectImage(bomb, 50_000_000)).toThrow(
      '60000x60000 is 3,600,000,000 pixels, over the limit of 50,000,000 (MAX_IMAGE_PIXELS)',
    );
  });

  it('accepts an image exactly at the pixel limit', async () => {
    const png = await fixtures.png();
    expect(inspectImage(png, 400 * 300).width).toBe(400);
    expect(() => inspectImage(png, 400 * 300 - 1)).toThrow(ImageTooLargeError);
  });
});
