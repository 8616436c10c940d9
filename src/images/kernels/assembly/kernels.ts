/**
 * The pixel loops of the render step, in AssemblyScript, compiled to WebAssembly with SIMD (128-bit vectors:
 * 16 channels of 8 bits, or 8 of 16 bits, per instruction). `npm run build:kernels` compiles this file into
 * ../kernels-wasm.ts; ../pixel-kernels.ts lays out the memory and calls these functions.
 *
 * Every function reads and writes raw memory at addresses it is given. Pixels are RGBA, 8 bits a channel.
 * Weights are whole numbers in 1/128ths that sum to 128 for each output pixel, so a channel's weighted sum
 * (at most 255 x 128, plus 64 to round) fits in a 16-bit lane, and `(sum + 64) >> 7` rounds to nearest:
 * the same arithmetic, bit for bit, as the JavaScript this replaced.
 * Some loads and stores run up to 16 bytes past the last pixel: the caller leaves that much room.
 */

const ROUND: v128 = i16x8.splat(64);

/** Rounds eight 16-bit sums to eight 8-bit channels (in the low half of the result). */
function roundedChannels(sums: v128): v128 {
  return i8x16.narrow_i16x8_u(i16x8.shr_u(i16x8.add(sums, ROUND), 7), ROUND);
}

/**
 * Vertical pass: output row y (`rowBytes` bytes) is the weighted sum of `taps` consecutive source rows from
 * row `starts[y]`; the weights of row y are `weights[y * taps ...]` (i32). Works across the row 16 bytes
 * at a time; the last block of a row is aligned to the row's end (it overlaps the one before, which
 * computes the same bytes). Rows of under 16 bytes write past their end, into the next row (written after)
 * or the room after the last.
 */
export function shrinkColumns(
  source: usize,
  rowBytes: i32,
  height: i32,
  starts: usize,
  weights: usize,
  taps: i32,
  out: usize,
): void {
  const last = rowBytes > 16 ? rowBytes - 16 : 0;
  for (let y = 0; y < height; y++) {
    const first = source + <usize>load<i32>(starts + ((<usize>y) << 2)) * <usize>rowBytes;
    const rowWeights = weights + ((<usize>(y * taps)) << 2);
    const row = out + <usize>y * <usize>rowBytes;
    for (let x = 0; ; x += 16) {
      if (x > last) x = last;
      let low = i16x8.splat(0);
      let high = i16x8.splat(0);
      let pixels = first + <usize>x;
      for (let k = 0; k < taps; k++, pixels += <usize>rowBytes) {
        const block = v128.load(pixels);
        const weight = i16x8.splat(<i16>load<i32>(rowWeights + ((<usize>k) << 2)));
        low = i16x8.add(low, i16x8.mul(i16x8.extend_low_i8x16_u(block), weight));
        high = i16x8.add(high, i16x8.mul(i16x8.extend_high_i8x16_u(block), weight));
      }
      v128.store(
        row + <usize>x,
        i8x16.narrow_i16x8_u(i16x8.shr_u(i16x8.add(low, ROUND), 7), i16x8.shr_u(i16x8.add(high, ROUND), 7)),
      );
      if (x == last) break;
    }
  }
}

/**
 * Horizontal pass: output pixel x of each of the `height` rows is the weighted sum of source pixels from
 * `starts[x]`, taken two at a time: `pairWeights` holds, per output pixel and pair, eight i16 weights (the
 * first pixel's weight four times, one per channel, then the second's; 0 past the last tap).
 */
export function shrinkRows(
  source: usize,
  sourceWidth: i32,
  width: i32,
  height: i32,
  starts: usize,
  pairWeights: usize,
  pairs: i32,
  out: usize,
): void {
  for (let y = 0; y < height; y++) {
    const row = source + ((<usize>y * <usize>sourceWidth) << 2);
    const outRow = out + ((<usize>y * <usize>width) << 2);
    let weight = pairWeights;
    for (let x = 0; x < width; x++) {
      let pixels = row + ((<usize>load<i32>(starts + ((<usize>x) << 2))) << 2);
      let sums = i16x8.splat(0);
      for (let j = 0; j < pairs; j++, pixels += 8, weight += 16) {
        sums = i16x8.add(sums, i16x8.mul(i16x8.extend_low_i8x16_u(v128.load64_zero(pixels)), v128.load(weight)));
      }
      // The first pixels' sums are in lanes 0-3, the second pixels' in lanes 4-7.
      sums = i16x8.add(sums, v128.shuffle<i16>(sums, sums, 4, 5, 6, 7, 4, 5, 6, 7));
      store<i32>(outRow + ((<usize>x) << 2), i32x4.extract_lane(roundedChannels(sums), 0));
    }
  }
}

/**
 * RGBA to RGB (alpha dropped), four pixels per instruction. Writes up to 4 bytes past the last pixel.
 */
export function dropAlpha(source: usize, pixels: i32, out: usize): void {
  const rgb = i8x16(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1);
  let i = 0;
  for (; i + 4 <= pixels; i += 4) {
    v128.store(out + <usize>i * 3, i8x16.swizzle(v128.load(source + ((<usize>i) << 2)), rgb));
  }
  for (; i < pixels; i++) {
    const pixel = source + ((<usize>i) << 2);
    const to = out + <usize>i * 3;
    store<u8>(to, load<u8>(pixel));
    store<u8>(to + 1, load<u8>(pixel + 1));
    store<u8>(to + 2, load<u8>(pixel + 2));
  }
}
