import { withKernels } from './kernels/pixel-kernels';
import type { RgbaBitmap } from './types';
import type { Dimensions } from '../thumbnail/sizes';

/**
 * Shrinks an RGBA bitmap to any smaller size by area averaging: each output pixel is the average of the
 * source area it covers, edge pixels counted by the fraction they overlap (what jimp's resize did when
 * shrinking, and a box filter's exact generalisation). Separable, vertical pass then horizontal, with
 * each row's and column's weights computed once.
 *
 * The weights are whole numbers in 1/128ths of a source pixel (summing to 128), so a channel's weighted
 * sum fits in 16 bits: the passes run in WebAssembly with SIMD (kernels/assembly/kernels.ts), eight
 * channels per instruction. Rounding to 1/128 moves a weight by at most 0.4%: well under one level of
 * output. 1224x816 to 1080x720 takes about 3 ms, copies in and out included; jimp's floating-point
 * resize, most of a 1 MP render before, took over 100.
 */

/** Weights are in 1/128ths of a source pixel: 255 x 128 per channel stays below 1 << 15. */
const WEIGHT_BITS = 7;
const ONE = 1 << WEIGHT_BITS;

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

/**
 * The horizontal pass's weights as the kernel takes them: per output pixel, its taps two at a time, each
 * pair as eight 16-bit weights (the first tap's four times, one per channel, then the second's; 0 past
 * the last tap).
 */
function pairWeights({ start, weights, taps }: Contributions): { weights: Int16Array; pairs: number } {
  const length = start.length;
  const pairs = Math.ceil(taps / 2);
  const out = new Int16Array(length * pairs * 8);
  for (let i = 0; i < length; i++) {
    for (let k = 0; k < taps; k++)
      out.fill(weights[i * taps + k]!, (i * pairs * 2 + k) * 4, (i * pairs * 2 + k + 1) * 4);
  }
  return { weights: out, pairs };
}

/** Shrinks `source` to exactly `target` (each dimension at most the source's) by area averaging. */
export function shrinkByArea(source: RgbaBitmap, target: Dimensions): RgbaBitmap {
  const { width, height } = target;
  if (!(width >= 1 && height >= 1 && width <= source.width && height <= source.height)) {
    throw new RangeError(`cannot shrink ${source.width}x${source.height} to ${width}x${height}`);
  }
  if (width === source.width && height === source.height) return source;
  const rowBytes = source.width * 4;
  const outBytes = width * height * 4;
  return withKernels((arena) => {
    const { kernels } = arena;
    let rows = arena.copyIn(source.data);
    // Vertical first: it reads whole rows in order, and leaves the horizontal pass fewer rows.
    if (height !== source.height) {
      const { start, weights, taps } = contributions(source.height, height);
      const out = arena.allocate(rowBytes * height);
      kernels.shrinkColumns(rows, rowBytes, height, arena.copyIn(start), arena.copyIn(weights), taps, out);
      rows = out;
    }
    if (width !== source.width) {
      const horizontal = contributions(source.width, width);
      const { weights, pairs } = pairWeights(horizontal);
      const out = arena.allocate(outBytes);
      kernels.shrinkRows(
        rows,
        source.width,
        width,
        height,
        arena.copyIn(horizontal.start),
        arena.copyIn(weights),
        pairs,
        out,
      );
      rows = out;
    }
    // Buffer.from copies the pixels out of the kernels' memory, which the next image reuses.
    return { data: Buffer.from(arena.bytes(rows, outBytes)), width, height };
  });
}
