import { shrinkByBoxFilter } from '../../../src/images/box-filter';

function bitmap(width: number, height: number, pixel: (x: number, y: number) => number[]) {
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set(pixel(x, y), (y * width + x) * 4);
  }
  return { data, width, height };
}

describe('shrinkByBoxFilter (a box filter: each output pixel the mean of a whole-factor block)', () => {
  it('averages each factor x factor block, every channel, rounding to nearest', () => {
    // 4x2 → 2x1: left block 0,10,20,30 (mean 15); right block 100,101,102,104 (mean 101.75 → 102).
    const values = [
      [0, 10, 100, 101],
      [20, 30, 102, 104],
    ];
    const source = bitmap(4, 2, (x, y) => [values[y]![x]!, 255 - values[y]![x]!, 7, 255]);

    const reduced = shrinkByBoxFilter(source, 2);

    expect([reduced.width, reduced.height]).toEqual([2, 1]);
    expect([...reduced.data]).toEqual([15, 240, 7, 255, 102, 153, 7, 255]);
  });

  // Up to 11, two channels are summed per 32-bit word; above, one at a time: both the exact rounded mean.
  it.each([2, 3, 11, 12])('gives the exact rounded mean of every channel with a factor of %i', (factor) => {
    let seed = factor;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 256;
    const source = bitmap(factor * 3 + 1, factor * 2, () => [random(), random(), random(), random()]);

    const reduced = shrinkByBoxFilter(source, factor);

    expect([reduced.width, reduced.height]).toEqual([3, 2]);
    for (let y = 0; y < 2; y++) {
      for (let x = 0; x < 3; x++) {
        for (let c = 0; c < 4; c++) {
          let sum = 0;
          for (let dy = 0; dy < factor; dy++) {
            for (let dx = 0; dx < factor; dx++)
              sum += source.data[((y * factor + dy) * source.width + x * factor + dx) * 4 + c]!;
          }
          expect(reduced.data[(y * 3 + x) * 4 + c]).toBe(
            Math.floor((sum + ((factor * factor) >> 1)) / (factor * factor)),
          );
        }
      }
    }
  });

  it('drops edge pixels that do not fill a whole block', () => {
    const reduced = shrinkByBoxFilter(
      bitmap(7, 5, () => [9, 9, 9, 9]),
      3,
    );
    expect([reduced.width, reduced.height, reduced.data.length]).toEqual([2, 1, 8]);
  });

  it('returns the source itself for a factor of 1', () => {
    const source = bitmap(3, 3, () => [1, 2, 3, 4]);
    expect(shrinkByBoxFilter(source, 1)).toBe(source);
  });

  it('rejects a factor that is not a whole number', () => {
    expect(() =>
      shrinkByBoxFilter(
        bitmap(4, 4, () => [0, 0, 0, 0]),
        1.5,
      ),
    ).toThrow(RangeError);
  });
});
