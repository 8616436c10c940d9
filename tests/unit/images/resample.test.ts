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

  it('returns the source itself at its own size, and refuses to enlarge', () => {
    const source = bitmap(4, 4, () => [1, 2, 3, 4]);
    expect(shrinkByArea(source, { width: 4, height: 4 })).toBe(source);
    expect(() => shrinkByArea(source, { width: 5, height: 4 })).toThrow(RangeError);
  });
});
