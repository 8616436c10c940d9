import sharp, { type Sharp } from 'sharp';

interface Pixels {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/** Mean absolute difference per sample (0-255) of two RGBA images of one size; alpha counted if asked. */
export function meanAbsoluteDifference(actual: Pixels, expected: Pixels, { alpha = true } = {}): number {
  if (actual.width !== expected.width || actual.height !== expected.height) {
    throw new Error(`sizes differ: ${actual.width}x${actual.height} and ${expected.width}x${expected.height}`);
  }
  let sum = 0;
  let count = 0;
  for (let i = 0; i < expected.data.length; i++) {
    if (!alpha && i % 4 === 3) continue;
    sum += Math.abs(actual.data[i]! - expected.data[i]!);
    count += 1;
  }
  return sum / count;
}

/** libvips' decode of `input` (first page, as stored: no auto-orientation) as 8-bit RGBA. */
export async function referenceRgba(input: Buffer | string, transform?: (image: Sharp) => Sharp) {
  const image = sharp(input, { pages: 1 });
  // 10- and 12-bit images load as 16-bit: converted to 8-bit sRGB like the decoders under test.
  const { data, info } = await (transform ? transform(image) : image)
    .toColourspace('srgb')
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** `image` turned as EXIF orientation 6 (a quarter turn clockwise) or 5 (transpose) shows it. */
export function orient(image: { data: Buffer; width: number; height: number }, orientation: number) {
  const { width, height } = image;
  const data = Buffer.alloc(image.data.length);
  for (let y = 0; y < width; y++) {
    for (let x = 0; x < height; x++) {
      const from = orientation === 6 ? (height - 1 - x) * width + y : x * width + y;
      image.data.copy(data, (y * height + x) * 4, from * 4, from * 4 + 4);
    }
  }
  return { data, width: height, height: width };
}
