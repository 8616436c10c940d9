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

  if (factor <= MAX_WORD_FACTOR) return shrinkWords(source, factor, width, height);
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

/** Channels 0 and 2 of a pixel word (or 1 and 3, once shifted down by 8). */
const LANES = 0x00ff00ff;
/**
 * Up to this factor, a block's sum of one channel (at most 255 x factor²) stays below 1 << 15, so two
 * channels summed in one 32-bit word, 16 bits apart, never carry into each other or past 31 bits.
 */
const MAX_WORD_FACTOR = 11;

/**
 * The same box filter on whole pixels: each 32-bit pixel is split into two words of two channels (R and
 * B, G and A), so one addition sums two channels. About twice as fast as a channel at a time.
 */
function shrinkWords(source: RgbaBitmap, factor: number, width: number, height: number): RgbaBitmap {
  const src = pixelWords(source);
  const data = Buffer.allocUnsafe(width * height * 4);
  const out = new Uint32Array(data.buffer, data.byteOffset, width * height);
  const redBlue = new Int32Array(width);
  const greenAlpha = new Int32Array(width);
  const area = factor * factor;
  const half = area >> 1;
  for (let y = 0; y < height; y++) {
    redBlue.fill(0);
    greenAlpha.fill(0);
    for (let dy = 0; dy < factor; dy++) {
      let i = (y * factor + dy) * source.width;
      for (let x = 0; x < width; x++) {
        let rb = 0;
        let ga = 0;
        for (let dx = 0; dx < factor; dx++, i++) {
          const p = src[i]!;
          rb += p & LANES;
          ga += (p >>> 8) & LANES;
        }
        redBlue[x]! += rb;
        greenAlpha[x]! += ga;
      }
    }
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const rb = redBlue[x]!;
      const ga = greenAlpha[x]!;
      const r = (((rb & 0xffff) + half) / area) | 0;
      const b = (((rb >>> 16) + half) / area) | 0;
      const g = (((ga & 0xffff) + half) / area) | 0;
      const a = (((ga >>> 16) + half) / area) | 0;
      out[row + x] = r | (g << 8) | (b << 16) | (a << 24);
    }
  }
  return { data, width, height };
}

/** The pixels as 32-bit words (one pixel each), copied only if the buffer is not 4-byte aligned. */
function pixelWords(bitmap: RgbaBitmap): Uint32Array {
  const { data } = bitmap;
  if (data.byteOffset % 4 === 0) return new Uint32Array(data.buffer, data.byteOffset, data.length >> 2);
  return new Uint32Array(Uint8Array.from(data).buffer);
}
