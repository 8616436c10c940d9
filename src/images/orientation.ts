import type { RgbaBitmap } from './types';
import type { Dimensions } from '../thumbnail/sizes';

/** EXIF orientations 5 to 8 store the image on its side: width and height swap when displayed. */
export function isSideways(orientation: number): boolean {
  return orientation >= 5 && orientation <= 8;
}

export function displayedSize(stored: Dimensions, orientation: number): Dimensions {
  return isSideways(orientation) ? { width: stored.height, height: stored.width } : stored;
}

/** The pixels as 32-bit words (one pixel each), copied only if the buffer is not 4-byte aligned. */
function pixelsOf(bitmap: RgbaBitmap): Uint32Array {
  const { data } = bitmap;
  if (data.byteOffset % 4 === 0) return new Uint32Array(data.buffer, data.byteOffset, data.length / 4);
  return new Uint32Array(Uint8Array.from(data).buffer);
}

/**
 * Turns a bitmap stored with EXIF `orientation` (1-8) upright: a new bitmap, or `bitmap` itself for 1
 * (upright) and values outside the standard (left as stored). Moves whole pixels; called on the
 * thumbnail, after shrinking, where it costs little.
 */
export function applyOrientation(bitmap: RgbaBitmap, orientation: number): RgbaBitmap {
  if (!Number.isInteger(orientation) || orientation < 2 || orientation > 8) return bitmap;
  const { width, height } = bitmap;
  const source = pixelsOf(bitmap);
  const data = Buffer.allocUnsafe(width * height * 4);
  const target = new Uint32Array(data.buffer, data.byteOffset, width * height);
  const sideways = isSideways(orientation);
  const outWidth = sideways ? height : width;
  const outHeight = sideways ? width : height;
  // For each upright pixel (x, y): the stored pixel it comes from.
  for (let y = 0; y < outHeight; y++) {
    const row = y * outWidth;
    for (let x = 0; x < outWidth; x++) {
      let sx: number;
      let sy: number;
      switch (orientation) {
        case 2: // mirrored
          sx = width - 1 - x;
          sy = y;
          break;
        case 3: // upside down
          sx = width - 1 - x;
          sy = height - 1 - y;
          break;
        case 4: // mirrored upside down
          sx = x;
          sy = height - 1 - y;
          break;
        case 5: // transposed
          sx = y;
          sy = x;
          break;
        case 6: // stored turned 90° anticlockwise: turn clockwise
          sx = y;
          sy = height - 1 - x;
          break;
        case 7: // transverse
          sx = width - 1 - y;
          sy = height - 1 - x;
          break;
        default: // 8: stored turned 90° clockwise: turn anticlockwise
          sx = width - 1 - y;
          sy = x;
      }
      target[row + x] = source[sy * width + sx]!;
    }
  }
  return { data, width: outWidth, height: outHeight };
}
