import type { RgbaBitmap } from './types';
import type { Dimensions } from '../thumbnail/sizes';

/**
 * Shrinks an RGBA bitmap to any smaller size by area averaging: each output pixel is the average of the
 * source area it covers, edge pixels counted by the fraction they overlap (what jimp's resize did when
 * shrinking, and a box filter's exact generalisation). Separable, vertical pass then horizontal, with
 * each row's and column's weights computed once.
 *
 * Fast in plain JavaScript by working on whole pixels: each 32-bit RGBA pixel is split into two words
 * holding two 8-bit channels 16 bits apart (R and B, G and A), so one multiplication weighs two
 * channels. With weights in 1/128ths (summing to 128) no channel's sum can reach the next one's bits,
 * and every intermediate stays a 31-bit integer, which V8 keeps in registers. Rounding to 1/128 moves a
 * weight by at most 0.4%: well under one level of output. Several times faster than jimp's
 * floating-point resize, which was most of the time of a 1 MP render.
 */

/** Weights are in 1/128ths of a source pixel: 255 x 128 per channel stays below 1 << 15. */
const WEIGHT_BITS = 7;
const ONE = 1 << WEIGHT_BITS;
/** Channels 0 and 2 of a pixel word (or 1 and 3, once shifted down by 8). */
const LANES = 0x00ff00ff;
/** Half a level in both lanes: rounds to nearest. */
const ROUND = (ONE >> 1) * 0x00010001;

/**
 * For one axis: the first source index of each output index and the weights of the `taps` source
 * indices from there (0 past the area covered; the start is clamped so every tap reads inside the image).
 */
interface Contributions {
  readonly start: Int32Array;
  /** `taps` weights per output index, summing to ONE. */
  readonly weights: Int32Array;
  readonly taps: number;
}

function contributions(sourceLength: number, targetLength: number): Contributions {
  const scale = sourceLength / targetLength;
  const taps = Math.min(sourceLength, Math.ceil(scale) + 1);
  const start = new Int32Array(targetLength);
  const weights = new Int32Array(targetLength * taps);
  for (let i = 0; i < targetLength; i++) {
    const from = i * scale;
    const to = Math.min(sourceLength, (i + 1) * scale);
    const first = Math.min(Math.floor(from), sourceLength - taps);
    start[i] = first;
    let total = 0;
    let largest = 0;
    for (let k = 0; k < taps; k++) {
      const overlap = Math.max(0, Math.min(to, first + k + 1) - Math.max(from, first + k));
      const weight = Math.round((overlap / (to - from)) * ONE);
      weights[i * taps + k] = weight;
      total += weight;
      if (weight > weights[i * taps + largest]!) largest = k;
    }
    // Rounding may leave the weights a unit off a whole pixel: the largest absorbs it, so flat areas stay flat.
    weights[i * taps + largest]! += ONE - total;
  }
  return { start, weights, taps };
}

/** Two lane sums (R and B, G and A, each rounded and in 1/128ths) back into one pixel word. */
function pack(redBlue: number, greenAlpha: number): number {
  return (((redBlue + ROUND) >>> WEIGHT_BITS) & LANES) | ((((greenAlpha + ROUND) >>> WEIGHT_BITS) & LANES) << 8);
}

/** Vertical pass: `source` (pixel words, `width` x `sourceHeight`) to `height` rows. */
function shrinkColumns(source: Uint32Array, width: number, sourceHeight: number, height: number): Uint32Array {
  const { start, weights, taps } = contributions(sourceHeight, height);
  const out = new Uint32Array(width * height);
  for (let y = 0; y < height; y++) {
    const o = y * width;
    const w = y * taps;
    const r0 = start[y]! * width;
    if (taps === 3) {
      const w0 = weights[w]!;
      const w1 = weights[w + 1]!;
      const w2 = weights[w + 2]!;
      const r1 = r0 + width;
      const r2 = r1 + width;
      for (let x = 0; x < width; x++) {
        const p0 = source[r0 + x]!;
        const p1 = source[r1 + x]!;
        const p2 = source[r2 + x]!;
        out[o + x] = pack(
          (p0 & LANES) * w0 + (p1 & LANES) * w1 + (p2 & LANES) * w2,
          ((p0 >>> 8) & LANES) * w0 + ((p1 >>> 8) & LANES) * w1 + ((p2 >>> 8) & LANES) * w2,
        );
      }
      continue;
    }
    for (let x = 0; x < width; x++) {
      let redBlue = 0;
      let greenAlpha = 0;
      for (let k = 0, s = r0 + x; k < taps; k++, s += width) {
        const p = source[s]!;
        const weight = weights[w + k]!;
        redBlue += (p & LANES) * weight;
        greenAlpha += ((p >>> 8) & LANES) * weight;
      }
      out[o + x] = pack(redBlue, greenAlpha);
    }
  }
  return out;
}

/** Horizontal pass: rows of pixel words `sourceWidth` wide to `width` pixels, into `out`. */
function shrinkRows(rows: Uint32Array, sourceWidth: number, width: number, height: number, out: Uint32Array): void {
  const { start, weights, taps } = contributions(sourceWidth, width);
  for (let y = 0; y < height; y++) {
    const row = y * sourceWidth;
    const o = y * width;
    if (taps === 3) {
      for (let x = 0; x < width; x++) {
        const s = row + start[x]!;
        const w0 = weights[x * 3]!;
        const w1 = weights[x * 3 + 1]!;
        const w2 = weights[x * 3 + 2]!;
        const p0 = rows[s]!;
        const p1 = rows[s + 1]!;
        const p2 = rows[s + 2]!;
        out[o + x] = pack(
          (p0 & LANES) * w0 + (p1 & LANES) * w1 + (p2 & LANES) * w2,
          ((p0 >>> 8) & LANES) * w0 + ((p1 >>> 8) & LANES) * w1 + ((p2 >>> 8) & LANES) * w2,
        );
      }
      continue;
    }
    for (let x = 0; x < width; x++) {
      let redBlue = 0;
      let greenAlpha = 0;
      const w = x * taps;
      for (let k = 0, s = row + start[x]!; k < taps; k++, s++) {
        const p = rows[s]!;
        const weight = weights[w + k]!;
        redBlue += (p & LANES) * weight;
        greenAlpha += ((p >>> 8) & LANES) * weight;
      }
      out[o + x] = pack(redBlue, greenAlpha);
    }
  }
}

/** The pixels as 32-bit words (one pixel each), copied only if the buffer is not 4-byte aligned. */
export function pixelWords(bitmap: RgbaBitmap): Uint32Array {
  const { data } = bitmap;
  if (data.byteOffset % 4 === 0) return new Uint32Array(data.buffer, data.byteOffset, data.length >> 2);
  return new Uint32Array(Uint8Array.from(data).buffer);
}

/** Shrinks `source` to exactly `target` (each dimension at most the source's) by area averaging. */
export function shrinkByArea(source: RgbaBitmap, target: Dimensions): RgbaBitmap {
  const { width, height } = target;
  if (!(width >= 1 && height >= 1 && width <= source.width && height <= source.height)) {
    throw new RangeError(`cannot shrink ${source.width}x${source.height} to ${width}x${height}`);
  }
  if (width === source.width && height === source.height) return source;
  const pixels = pixelWords(source);
  // Vertical first: it reads whole rows in order, and leaves the horizontal pass fewer rows.
  const rows = height === source.height ? pixels : shrinkColumns(pixels, source.width, source.height, height);
  const data = Buffer.allocUnsafe(width * height * 4);
  const out = new Uint32Array(data.buffer, data.byteOffset, width * height);
  if (width === source.width) out.set(rows);
  else shrinkRows(rows, source.width, width, height, out);
  return { data, width, height };
}
