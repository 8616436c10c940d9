import { UnreadableImageError } from '../../../../src/errors';
import { bmpFormat } from '../../../../src/images/formats/bmp';
import type { DecodeBudget } from '../../../../src/images/types';
import { decodeWith, failure, pixel } from '../../../support/format-tests';

const budget: DecodeBudget = { maxPixels: 50_000_000, maxBytes: 512 * 1024 * 1024 };

interface BmpSpec {
  width: number;
  /** Negative: rows top-down. */
  height: number;
  bitCount: number;
  compression?: number;
  /** 40 (BITMAPINFOHEADER), 108 (V4), 124 (V5). */
  headerSize?: number;
  /** Red, green, blue, alpha masks, written inside V4/V5 headers or after a 40-byte one for bit fields. */
  masks?: number[];
  /** RGB entries. */
  palette?: number[][];
  /** The pixel data exactly as stored (rows padded by the caller). */
  data: Buffer;
  /** Bytes between the headers and the pixel data. */
  gap?: number;
}

/** Writes a BMP byte by byte, as the format describes it. */
function bmp(spec: BmpSpec): Buffer {
  const headerSize = spec.headerSize ?? 40;
  const compression = spec.compression ?? 0;
  const dib = Buffer.alloc(headerSize);
  dib.writeUInt32LE(headerSize, 0);
  dib.writeInt32LE(spec.width, 4);
  dib.writeInt32LE(spec.height, 8);
  dib.writeUInt16LE(1, 12);
  dib.writeUInt16LE(spec.bitCount, 14);
  dib.writeUInt32LE(compression, 16);
  dib.writeUInt32LE(spec.data.length, 20);
  dib.writeUInt32LE(spec.palette?.length ?? 0, 32);
  let masks = Buffer.alloc(0);
  if (spec.masks && headerSize > 40) spec.masks.forEach((mask, i) => dib.writeUInt32LE(mask >>> 0, 40 + 4 * i));
  else if (spec.masks) masks = Buffer.from(new Uint32Array(spec.masks.slice(0, 3)).buffer);
  const palette = Buffer.from((spec.palette ?? []).flatMap(([r, g, b]) => [b!, g!, r!, 0]));
  const gap = Buffer.alloc(spec.gap ?? 0, 0xee);
  const offset = 14 + headerSize + masks.length + palette.length + gap.length;
  const file = Buffer.alloc(14);
  file.write('BM', 0, 'latin1');
  file.writeUInt32LE(offset + spec.data.length, 2);
  file.writeUInt32LE(offset, 10);
  return Buffer.concat([file, dib, masks, palette, gap, spec.data]);
}

/** Rows padded to 4 bytes. */
function rows(...lines: number[][]): Buffer {
  return Buffer.concat(
    lines.map((line) => Buffer.concat([Buffer.from(line), Buffer.alloc((4 - (line.length % 4)) % 4)])),
  );
}

const RED = [255, 0, 0, 255];
const GREEN = [0, 255, 0, 255];
const BLUE = [0, 0, 255, 255];
const WHITE = [255, 255, 255, 255];
const PALETTE = [
  [255, 0, 0],
  [0, 255, 0],
  [0, 0, 255],
  [255, 255, 255],
];

const decode = (file: Buffer) => decodeWith(bmpFormat, file, budget);

describe('bmpFormat.sniff', () => {
  it("recognises 'BM' only", () => {
    expect(bmpFormat.sniff(Buffer.from('BM'))).toBe(true);
    expect(bmpFormat.sniff(Buffer.from('BA'))).toBe(false);
    expect(bmpFormat.sniff(Buffer.from('B'))).toBe(false);
  });
});

describe('bmpFormat decodes', () => {
  // Two rows of three: top red, green, blue; bottom white, red, green. Stored bottom row first (BGR).
  const bottomUp24 = rows([255, 255, 255, 0, 0, 255, 0, 255, 0], [0, 0, 255, 0, 255, 0, 255, 0, 0]);

  it('24 bits, bottom-up, rows padded', async () => {
    const file = bmp({ width: 3, height: 2, bitCount: 24, data: bottomUp24 });
    const declared = bmpFormat.inspect(file, budget);
    expect(declared).toMatchObject({ format: 'bmp', width: 3, height: 2, bitsPerSample: 8, channels: 3 });
    const image = await bmpFormat.decode(file, declared);
    expect(image.bitmap).toMatchObject({ width: 3, height: 2 });
    expect(image.orientation).toBe(1);
    expect(image.hasAlpha).toBe(false);
    expect([pixel(image, 0, 0), pixel(image, 1, 0), pixel(image, 2, 0)]).toEqual([RED, GREEN, BLUE]);
    expect([pixel(image, 0, 1), pixel(image, 1, 1), pixel(image, 2, 1)]).toEqual([WHITE, RED, GREEN]);
  });

  it('24 bits, top-down (negative height)', async () => {
    const topDown = rows([0, 0, 255, 0, 255, 0, 255, 0, 0], [255, 255, 255, 0, 0, 255, 0, 255, 0]);
    const image = await decode(bmp({ width: 3, height: -2, bitCount: 24, data: topDown }));
    expect(image.bitmap).toMatchObject({ width: 3, height: 2 });
    expect([pixel(image, 0, 0), pixel(image, 2, 1)]).toEqual([RED, GREEN]);
  });

  it('from the pixel data offset, not from the end of the headers', async () => {
    const image = await decode(bmp({ width: 3, height: 2, bitCount: 24, data: bottomUp24, gap: 6 }));
    expect([pixel(image, 0, 0), pixel(image, 2, 1)]).toEqual([RED, GREEN]);
  });

  it('1, 4 and 8 bits through a palette', async () => {
    const one = await decode(
      bmp({ width: 3, height: 1, bitCount: 1, palette: PALETTE.slice(0, 2), data: rows([0b01000000]) }),
    );
    expect([pixel(one, 0, 0), pixel(one, 1, 0), pixel(one, 2, 0)]).toEqual([RED, GREEN, RED]);
    const four = await decode(bmp({ width: 3, height: 1, bitCount: 4, palette: PALETTE, data: rows([0x32, 0x10]) }));
    expect([pixel(four, 0, 0), pixel(four, 1, 0), pixel(four, 2, 0)]).toEqual([WHITE, BLUE, GREEN]);
    const eight = await decode(bmp({ width: 3, height: 1, bitCount: 8, palette: PALETTE, data: rows([2, 3, 0]) }));
    expect([pixel(eight, 0, 0), pixel(eight, 1, 0), pixel(eight, 2, 0)]).toEqual([BLUE, WHITE, RED]);
    expect(
      bmpFormat.inspect(bmp({ width: 3, height: 1, bitCount: 8, palette: PALETTE, data: rows([2, 3, 0]) }), budget),
    ).toMatchObject({ channels: 1 });
  });

  it('RLE8 and RLE4, rows in their places', async () => {
    // Bottom row red, then green, then blue at the top: three runs of 3, end of line, end of bitmap.
    const rle8 = Buffer.from([3, 0, 0, 0, 3, 1, 0, 0, 3, 2, 0, 1]);
    const eight = await decode(bmp({ width: 3, height: 3, bitCount: 8, compression: 1, palette: PALETTE, data: rle8 }));
    expect([pixel(eight, 0, 0), pixel(eight, 2, 1), pixel(eight, 1, 2)]).toEqual([BLUE, GREEN, RED]);
    // Runs alternate the two nibbles: 4 pixels of 0x23 are blue, white, blue, white.
    const rle4 = Buffer.from([4, 0x23, 0, 0, 4, 0x10, 0, 1]);
    const four = await decode(bmp({ width: 4, height: 2, bitCount: 4, compression: 2, palette: PALETTE, data: rle4 }));
    expect([pixel(four, 0, 1), pixel(four, 1, 1), pixel(four, 0, 0), pixel(four, 3, 0)]).toEqual([
      BLUE,
      WHITE,
      GREEN,
      RED,
    ]);
  });

  it('16 bits (5-5-5) and 32 bits without alpha as opaque', async () => {
    const sixteen = await decode(bmp({ width: 2, height: 1, bitCount: 16, data: rows([0x00, 0x7c, 0x1f, 0x00]) }));
    expect(pixel(sixteen, 0, 0).slice(0, 3)).toEqual([expect.any(Number), 0, 0]);
    expect(pixel(sixteen, 0, 0)[0]).toBeGreaterThan(240);
    expect(pixel(sixteen, 1, 0)[2]).toBeGreaterThan(240);
    expect(sixteen.hasAlpha).toBe(false);
    // BI_RGB at 32 bits: the fourth byte is unused (here 0), never alpha.
    const thirtyTwo = await decode(
      bmp({ width: 2, height: 1, bitCount: 32, data: Buffer.from([0, 0, 255, 0, 255, 0, 0, 0]) }),
    );
    expect([pixel(thirtyTwo, 0, 0), pixel(thirtyTwo, 1, 0)]).toEqual([RED, BLUE]);
    expect(thirtyTwo.hasAlpha).toBe(false);
  });

  it('32 bits with an alpha mask: alpha kept, and the image says so', async () => {
    const file = bmp({
      width: 2,
      height: 1,
      bitCount: 32,
      compression: 3,
      headerSize: 124,
      masks: [0x00ff0000, 0x0000ff00, 0x000000ff, 0xff000000],
      data: Buffer.from([0, 0, 255, 128, 255, 0, 0, 255]),
    });
    expect(bmpFormat.inspect(file, budget)).toMatchObject({ channels: 4 });
    const image = await decode(file);
    expect(image.hasAlpha).toBe(true);
    expect([pixel(image, 0, 0), pixel(image, 1, 0)]).toEqual([[255, 0, 0, 128], BLUE]);
  });

  it("bit fields after a BITMAPINFOHEADER, and inside Adobe's V3 header with alpha", async () => {
    const rgb565 = await decode(
      bmp({
        width: 2,
        height: 1,
        bitCount: 16,
        compression: 3,
        masks: [0xf800, 0x07e0, 0x001f],
        data: rows([0x00, 0xf8, 0x1f, 0x00]),
      }),
    );
    expect(pixel(rgb565, 0, 0)[0]).toBeGreaterThan(240);
    expect(pixel(rgb565, 1, 0)[2]).toBeGreaterThan(240);
    expect(rgb565.hasAlpha).toBe(false);
    const v3 = await decode(
      bmp({
        width: 2,
        height: 1,
        bitCount: 32,
        compression: 3,
        headerSize: 56,
        masks: [0x00ff0000, 0x0000ff00, 0x000000ff, 0xff000000],
        data: Buffer.from([0, 0, 255, 128, 255, 0, 0, 255]),
      }),
    );
    expect([pixel(v3, 0, 0), pixel(v3, 1, 0), v3.hasAlpha]).toEqual([[255, 0, 0, 128], BLUE, true]);
  });

  it('32 bits with an alpha mask but alpha 0 everywhere as opaque, as browsers do', async () => {
    const file = bmp({
      width: 2,
      height: 1,
      bitCount: 32,
      compression: 3,
      headerSize: 108,
      masks: [0x00ff0000, 0x0000ff00, 0x000000ff, 0xff000000],
      data: Buffer.from([0, 0, 255, 0, 255, 0, 0, 0]),
    });
    const image = await decode(file);
    expect(image.hasAlpha).toBe(false);
    expect([pixel(image, 0, 0), pixel(image, 1, 0)]).toEqual([RED, BLUE]);
  });
});

describe('bmpFormat refuses', () => {
  const pixel24 = rows([0, 0, 255]);

  it('compressions and depths it does not decode as unsupported', async () => {
    const cases = [
      bmp({ width: 1, height: 1, bitCount: 24, compression: 4, data: pixel24 }), // BI_JPEG
      bmp({ width: 1, height: 1, bitCount: 24, compression: 5, data: pixel24 }), // BI_PNG
      bmp({ width: 1, height: 1, bitCount: 2, data: pixel24 }),
      bmp({ width: 1, height: 1, bitCount: 64, data: Buffer.alloc(8) }),
      bmp({ width: 1, height: 1, bitCount: 24, headerSize: 64, data: pixel24 }), // OS/2 2.x header
      bmp({ width: 1, height: 1, bitCount: 24, headerSize: 52, data: pixel24 }), // Adobe's V2 header
    ];
    for (const file of cases) {
      const error = await failure(() => bmpFormat.inspect(file, budget));
      expect(error).toBeInstanceOf(UnreadableImageError);
      expect(error.code).toBe('unsupported-format');
    }
  });

  it('inconsistent or truncated headers and data as corrupt', async () => {
    const full = rows([0, 0, 255, 0, 0, 255], [0, 0, 255, 0, 0, 255]);
    const cases = [
      bmp({ width: 2, height: 2, bitCount: 24, data: full.subarray(0, full.length - 6) }), // a row short
      bmp({ width: 0, height: 1, bitCount: 24, data: pixel24 }),
      bmp({ width: 1, height: 0, bitCount: 24, data: pixel24 }),
      bmp({ width: 1, height: 1, bitCount: 24, compression: 1, data: pixel24 }), // RLE8 at 24 bits
      bmp({ width: 1, height: -1, bitCount: 8, compression: 1, palette: PALETTE, data: Buffer.from([1, 0, 0, 1]) }),
      Buffer.from('BM\0\0\0\0'),
    ];
    for (const file of cases) {
      const error = await failure(() => bmpFormat.inspect(file, budget));
      expect(error).toBeInstanceOf(UnreadableImageError);
      expect(error.code).toBe('corrupt-image');
    }
  });

  it('a 50000x50000 BMP with 10 bytes of pixel data, before allocating anything', async () => {
    const bomb = bmp({ width: 50_000, height: 50_000, bitCount: 24, data: Buffer.alloc(10) });
    expect(bomb.length).toBeLessThan(100);
    const before = process.memoryUsage();
    const started = performance.now();
    const error = await failure(() => bmpFormat.inspect(bomb, budget));
    expect(error.code).toBe('corrupt-image');
    expect(error.message).toContain('50000x50000');
    // decode holds the same line if it is ever called without inspect.
    const declared = { format: 'bmp', width: 1, height: 1, bitsPerSample: 8, channels: 3 } as const;
    expect((await failure(() => bmpFormat.decode(bomb, declared))).code).toBe('corrupt-image');
    expect(performance.now() - started).toBeLessThan(2000);
    const after = process.memoryUsage();
    expect(after.rss - before.rss).toBeLessThan(64 * 1024 * 1024);
    expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(1024 * 1024);
  });

  it('declares a 50000x50000 RLE image as it is, for the pixel budget to refuse', () => {
    // RLE data may be far shorter than the image (an immediate end of bitmap), so its size is what counts.
    const file = bmp({
      width: 50_000,
      height: 50_000,
      bitCount: 8,
      compression: 1,
      palette: PALETTE,
      data: Buffer.from([0, 1]),
    });
    expect(bmpFormat.inspect(file, budget)).toMatchObject({ width: 50_000, height: 50_000 });
  });

  it('hostile RLE data (runs far past the image) fails fast', async () => {
    const runs = Buffer.alloc(8 * 1024 * 1024);
    for (let at = 0; at < runs.length; at += 2) runs[at] = 255;
    const file = bmp({ width: 1, height: 1, bitCount: 8, compression: 1, palette: PALETTE, data: runs });
    const started = performance.now();
    await bmpFormat.decode(file, bmpFormat.inspect(file, budget)).catch(() => undefined);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
