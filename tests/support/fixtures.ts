import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { photoLikePixels } from './sample-images';

/**
 * Image files of every class the pipeline must handle, generated with sharp (libvips, a dev
 * dependency) so that they come from an encoder other than the one under test.
 */
function photo(width: number, height: number, alpha = false) {
  return sharp(photoLikePixels(width, height, 7, alpha), { raw: { width, height, channels: 4 } });
}

export const fixtures = {
  jpeg: () => photo(400, 300).jpeg().toBuffer(),
  progressiveJpeg: () => photo(400, 300).jpeg({ progressive: true }).toBuffer(),
  grayscaleJpeg: () => photo(400, 300).grayscale().jpeg().toBuffer(),
  // With its CMYK profile embedded, as print workflows write them.
  cmykJpeg: () => photo(400, 300).toColourspace('cmyk').withIccProfile('cmyk').jpeg().toBuffer(),
  png: () => photo(400, 300, true).png().toBuffer(),
  png16: () => photo(400, 300).toColourspace('rgb16').png().toBuffer(),
  tiff: () => photo(400, 300).tiff({ compression: 'lzw' }).toBuffer(),
  webp: () => photo(400, 300).webp().toBuffer(),
  /** Two frames: the photo, then its negative. */
  animatedGif: async () =>
    sharp([await photo(400, 300).png().toBuffer(), await photo(400, 300).negate({ alpha: false }).png().toBuffer()], {
      join: { animated: true },
    })
      .gif()
      .toBuffer(),
};

/** A valid PNG whose IHDR claims `width` x `height` (its CRC fixed): a decompression bomb's header, a few KB in all. */
export async function pngDeclaring(width: number, height: number): Promise<Buffer> {
  const png = Buffer.from(await fixtures.png());
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)) >>> 0, 29);
  return png;
}

/** A JPEG whose SOF marker claims `width` x `height`. */
export async function jpegDeclaring(width: number, height: number): Promise<Buffer> {
  const jpeg = Buffer.from(await fixtures.jpeg());
  for (let i = 2; i < jpeg.length - 9; i++) {
    if (jpeg[i] === 0xff && (jpeg[i + 1] === 0xc0 || jpeg[i + 1] === 0xc2)) {
      jpeg.writeUInt16BE(height, i + 5);
      jpeg.writeUInt16BE(width, i + 7);
      return jpeg;
    }
  }
  throw new Error('no SOF marker');
}

/** A PNG whose IHDR chunk CRC does not match its data. */
export async function pngWithBadCrc(): Promise<Buffer> {
  const png = Buffer.from(await fixtures.png());
  png[29] = png[29]! ^ 0xff; // first byte of the IHDR chunk's CRC
  return png;
}

/** Mean absolute difference per colour channel (0-255) between a decoded thumbnail and libvips' resize of the source. */
export async function differenceFromLibvips(
  source: Buffer,
  thumbnail: { data: Buffer | Uint8Array; width: number; height: number },
): Promise<number> {
  const reference = await sharp(source, { pages: 1 })
    .rotate()
    .resize(thumbnail.width, thumbnail.height, { fit: 'fill' })
    .ensureAlpha()
    .raw()
    .toBuffer();
  let sum = 0;
  let count = 0;
  for (let i = 0; i < reference.length; i++) {
    if (i % 4 === 3) continue;
    sum += Math.abs(thumbnail.data[i]! - reference[i]!);
    count += 1;
  }
  return sum / count;
}
