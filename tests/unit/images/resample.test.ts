import { shrinkByArea } from '../../../src/images/resample';

function bitmap(width: number, height: number, pixel: (x: number, y: number) => number[]) {
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set(pixel(x, y), (y * width + x) * 4);
  }
  return { data, width, height };
}

/** The exact area average of `source` at `width` x `height`, in floating point, one channel of one pixel. */
function exactAreaAverage(
  source: { data: Buffer; width: number; height: number },
  width: number,
  height: number,
  x: number,
  y: number,
  channel: number,
): number {
  const sx = source.width / width;
  const sy = source.height / height;
  let sum = 0;
  for (let j = Math.floor(y * sy); j < Math.ceil((y + 1) * sy); j++) {
    const wy = Math.min((y + 1) * sy, j + 1) - Math.max(y * sy, j);
    for (let i = Math.floor(x * sx); i < Math.ceil((x + 1) * sx); i++) {
      const wx = Math.min((x + 1) * sx, i + 1) - Math.max(x * sx, i);
      sum += wx * wy * source.data[(j * source.width + i) * 4 + channel]!;
    }
  }
  return sum / (sx * sy);
}

describe('shrinkByArea (each output pixel the average of the source area it covers)', () => {
  it('weighs edge pixels by the fraction they overlap, in every channel independently', () => {
    // 3x1 → 2x1: the first output covers pixel 0 and half of pixel 1, the second the other half and pixel 2.
    const source = bitmap(3, 1, (x) => [[0, 90, 180][x]!, 255 - [0, 90, 180][x]!, 255, [0, 90, 180][x]!]);

    const shrunk = shrinkByArea(source, { width: 2, height: 1 });

    expect([shrunk.width, shrunk.height]).toEqual([2, 1]);
    expect([...shrunk.data]).toEqual([30, 225, 255, 30, 150, 105, 255, 150]);
  });

  it('keeps a flat colour exactly, whatever the sizes', () => {
    const source = bitmap(37, 23, () => [255, 0, 128, 255]);
    for (const [width, height] of [
      [36, 22],
      [19, 12],
      [5, 3],
      [1, 1],
    ] as const) {
      const shrunk = shrinkByArea(source, { width, height });
      const pixels = new Set<string>();
      for (let i = 0; i < shrunk.data.length; i += 4) pixels.add(shrunk.data.subarray(i, i + 4).join(','));
      expect([shrunk.width, shrunk.height, [...pixels]]).toEqual([width, height, ['255,0,128,255']]);
    }
  });

  // Weights in 1/128ths and a rounding after each pass: at most 2.5 levels off on noise (more
  // taps, more rounding), under half a level on average.
  it('is within 2.5 levels (0.5 on average) of the exact area average of a random image, shrinking by less and more than 2', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 256;
    const source = bitmap(61, 47, () => [random(), random(), random(), random()]);
    for (const [width, height] of [
      [53, 40],
      [31, 24],
      [12, 5],
      [61, 20],
      [8, 47],
    ] as const) {
      const shrunk = shrinkByArea(source, { width, height });
      let worst = 0;
      let total = 0;
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          for (let c = 0; c < 4; c++) {
            const expected = exactAreaAverage(source, width, height, x, y, c);
            const error = Math.abs(shrunk.data[(y * width + x) * 4 + c]! - expected);
            worst = Math.max(worst, error);
            total += error;
          }
        }
      }
      const mean = total / (width * height * 4);
      expect({ width, height, worst: worst <= 2.5, mean: mean <= 0.5 }).toEqual({
        width,
        height,
        worst: true,
        mean: true,
      });
    }
  });

  // The arithmetic the kernels implement, one channel at a time in plain JavaScript: weights in 1/128ths
  // of a pixel (overlap / area, rounded; the largest absorbs the rounding), vertical pass, then horizontal,
  // each sum rounded to nearest. The SIMD kernels must give the same bytes.
  function integerAreaAverage(source: { data: Buffer; width: number; height: number }, width: number, height: number) {
    const axis = (from: number, to: number) => {
      const scale = from / to;
      const taps = Math.min(from, Math.ceil(scale) + 1);
      return Array.from({ length: to }, (_, i) => {
        const [start, end] = [i * scale, Math.min(from, (i + 1) * scale)];
        const first = Math.min(Math.floor(start), from - taps);
        const weights = Array.from({ length: taps }, (_, k) =>
          Math.round(((Math.min(end, first + k + 1) - Math.max(start, first + k)) / (end - start)) * 128),
        ).map((weight) => Math.max(0, weight));
        weights[weights.indexOf(Math.max(...weights))]! += 128 - weights.reduce((a, b) => a + b, 0);
        return { first, weights };
      });
    };
    const pass = (get: (i: number, j: number) => number, taps: { first: number; weights: number[] }) =>
      (taps.weights.reduce((sum, weight, k) => sum + weight * get(taps.first + k, 0), 0) + 64) >> 7;
    const rows = axis(source.height, height);
    const columns = axis(source.width, width);
    const out = Buffer.alloc(width * height * 4);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        for (let c = 0; c < 4; c++) {
          const column = (sx: number) => pass((sy) => source.data[(sy * source.width + sx) * 4 + c]!, rows[y]!);
          out[(y * width + x) * 4 + c] =
            width === source.width
              ? column(x)
              : pass(
                  (sx) => (height === source.height ? source.data[(y * source.width + sx) * 4 + c]! : column(sx)),
                  columns[x]!,
                );
        }
      }
    }
    return out;
  }

  it('gives exactly the bytes of the integer arithmetic it implements, for rows of any length (under 16 bytes, not a multiple of 16)', () => {
    let seed = 11;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 256;
    for (const [sourceWidth, sourceHeight, width, height] of [
      [1, 9, 1, 4],
      [3, 5, 2, 5],
      [5, 5, 4, 3],
      [7, 3, 7, 2],
      [19, 13, 17, 11],
      [61, 47, 53, 40],
      [61, 47, 13, 47],
      [64, 33, 21, 10],
    ] as const) {
      const source = bitmap(sourceWidth, sourceHeight, () => [random(), random(), random(), random()]);

      const shrunk = shrinkByArea(source, { width, height });

      const expected = integerAreaAverage(source, width, height);
      expect({ sourceWidth, sourceHeight, width, height, same: shrunk.data.equals(expected) }).toEqual({
        sourceWidth,
        sourceHeight,
        width,
        height,
        same: true,
      });
    }
  });

  it('returns the source itself at its own size, and refuses to enlarge', () => {
    const source = bitmap(4, 4, () => [1, 2, 3, 4]);
    expect(shrinkByArea(source, { width: 4, height: 4 })).toBe(source);
    expect(() => shrinkByArea(source, { width: 5, height: 4 })).toThrow(RangeError);
  });
});
