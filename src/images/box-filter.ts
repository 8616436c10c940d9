import type { RgbaBitmap } from './types';

/**
 * Shrinks an RGBA bitmap by a whole factor, each output pixel the average of a `factor` x `factor` block
 * (a box filter). One integer-only pass over the source: several times cheaper than a general resampler
 * on a 12-megapixel photo, and for shrinking by a whole factor it is also the exact area average.
 * Edge pixels that do not fill a whole block are dropped (at most factor - 1 rows and columns).
 */
export function shrinkByBoxFilter(source: RgbaBitmap, factor: number): RgbaBitmap {
  if (!Number.isInteger(factor) || factor < 1)
    throw new RangeError(`factor must be a whole number >= 1, got ${factor}`);
  const width = Math.floor(source.width / factor);
  const height = Math.floor(source.height / factor);
  if (factor === 1 || width === 0 || height === 0) return source;

  const src = source.data;
  const out = Buffer.allocUnsafe(width * height * 4);
  const rowSums = new Uint32Array(width * 4);
  const area = factor * factor;
  const half = area >> 1;
  const sourceStride = source.width * 4;
  for (let y = 0; y < height; y++) {
    rowSums.fill(0);
    for (let dy = 0; dy < factor; dy++) {
      let i = (y * factor + dy) * sourceStride;
      for (let x = 0, s = 0; x < width; x++, s += 4) {
        let r = 0;
        let g = 0;
        let b = 0;
        let a = 0;
        for (let dx = 0; dx < factor; dx++, i += 4) {
          r += src[i]!;
          g += src[i + 1]!;
          b += src[i + 2]!;
          a += src[i + 3]!;
        }
        rowSums[s]! += r;
        rowSums[s + 1]! += g;
        rowSums[s + 2]! += b;
        rowSums[s + 3]! += a;
      }
    }
    const rowStart = y * width * 4;
    for (let c = 0; c < width * 4; c++) out[rowStart + c] = ((rowSums[c]! + half) / area) | 0;
  }
  return { data: out, width, height };
}
