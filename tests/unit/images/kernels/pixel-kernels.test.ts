import { RETAINED_BYTES, withKernels } from '../../../../src/images/kernels/pixel-kernels';

describe('withKernels', () => {
  it('drops the alpha channel of any number of pixels, the last few included', () => {
    for (const pixels of [1, 3, 4, 5, 66_049]) {
      const rgba = Buffer.from(Array.from({ length: pixels * 4 }, (_, i) => (i * 37) % 256));
      const expected = Buffer.from(rgba.filter((_, i) => i % 4 !== 3));

      const rgb = withKernels((arena) => {
        const source = arena.copyIn(rgba);
        const out = arena.allocate(pixels * 3);
        arena.kernels.dropAlpha(source, pixels, out);
        return Buffer.from(arena.bytes(out, pixels * 3));
      });

      expect({ pixels, same: rgb.equals(expected) }).toEqual({ pixels, same: true });
    }
  });

  it('keeps an instance for the next image, but not one whose memory grew past RETAINED_BYTES', () => {
    const size = (bytes: number) => withKernels((arena) => arena.allocate(bytes));
    // A fresh instance has no memory: reading what an earlier call allocated works only on the same instance.
    const readable = (bytes: number) => withKernels((arena) => arena.bytes(0, bytes).length === bytes);

    size(1024 * 1024);
    expect(readable(1024 * 1024)).toBe(true);

    size(RETAINED_BYTES + 1);
    expect(() => readable(1024 * 1024)).toThrow(/typed array length/);
  });

  it('gives a nested call an instance of its own, so neither overwrites the other', () => {
    const outer = withKernels((arena) => {
      const at = arena.copyIn(Buffer.from([1, 2, 3, 4]));
      withKernels((inner) => inner.copyIn(Buffer.from([9, 9, 9, 9])));
      return [...arena.bytes(at, 4)];
    });

    expect(outer).toEqual([1, 2, 3, 4]);
  });
});
