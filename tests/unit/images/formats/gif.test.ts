import sharp, { type Sharp } from 'sharp';
import { ImageTooLargeError, UnreadableImageError } from '../../../../src/errors';
import { gifFormat, maxLzwBytes } from '../../../../src/images/formats/gif';
import type { DecodeBudget } from '../../../../src/images/types';
import { failure, measured } from '../../../support/format-tests';

const budget: DecodeBudget = { maxPixels: 50_000_000, maxBytes: 512 * 1024 * 1024 };

/**
 * LZW codes for palette `indices` at a minimum code size of 2, packed LSB first as GIF stores them.
 * A clear code before every two pixels keeps every code 3 bits wide (no compression, but valid).
 */
function lzw(indices: readonly number[]): Buffer {
  const clear = 4;
  const end = 5;
  const codes: number[] = [];
  indices.forEach((index, i) => {
    if (i % 2 === 0) codes.push(clear);
    codes.push(index);
  });
  codes.push(end);
  const out: number[] = [];
  let bits = 0;
  let count = 0;
  for (const code of codes) {
    bits |= code << count;
    count += 3;
    while (count >= 8) {
      out.push(bits & 0xff);
      bits >>= 8;
      count -= 8;
    }
  }
  if (count > 0) out.push(bits & 0xff);
  return Buffer.from(out);
}

/** Data sub-blocks (at most 255 bytes each) and their terminator. */
function subBlocks(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0; at < data.length; at += 255) {
    const chunk = data.subarray(at, at + 255);
    parts.push(Buffer.of(chunk.length), chunk);
  }
  return Buffer.concat([...parts, Buffer.of(0)]);
}

interface GifSpec {
  screen: [number, number];
  /** Four RGB colours. */
  palette?: number[][];
  frame: { left?: number; top?: number; width: number; height: number; transparent?: number; interlaced?: boolean };
  /** LZW data of the first frame; default: `lzw` of `indices`. */
  data?: Buffer;
  indices?: number[];
  /** Blocks written between the first frame and the trailer. */
  after?: Buffer;
}

const u16 = (value: number) => Buffer.from([value & 0xff, value >> 8]);

/** Writes a GIF89a byte by byte: screen, global colour table of 4, first frame, `after`, trailer. */
function gif(spec: GifSpec): Buffer {
  const palette = spec.palette ?? [
    [255, 0, 0],
    [0, 255, 0],
    [0, 0, 255],
    [255, 255, 255],
  ];
  const { left = 0, top = 0, width, height, transparent, interlaced = false } = spec.frame;
  const control =
    transparent === undefined ? Buffer.alloc(0) : Buffer.from([0x21, 0xf9, 4, 0x01, 0, 0, transparent, 0]);
  return Buffer.concat([
    Buffer.from('GIF89a', 'latin1'),
    u16(spec.screen[0]),
    u16(spec.screen[1]),
    Buffer.from([0x81, 0, 0]), // global colour table of 2^(1+1) entries
    Buffer.from(palette.flat()),
    control,
    Buffer.of(0x2c),
    u16(left),
    u16(top),
    u16(width),
    u16(height),
    Buffer.of(interlaced ? 0x40 : 0),
    Buffer.of(2), // LZW minimum code size
    subBlocks(spec.data ?? lzw(spec.indices ?? [])),
    spec.after ?? Buffer.alloc(0),
    Buffer.of(0x3b),
  ]);
}

function pixel(data: Buffer, width: number, x: number, y: number): number[] {
  const at = (y * width + x) * 4;
  return [...data.subarray(at, at + 4)];
}

describe('gifFormat.sniff', () => {
  it('recognises GIF87a and GIF89a only', () => {
    expect(gifFormat.sniff(Buffer.from('GIF89a...'))).toBe(true);
    expect(gifFormat.sniff(Buffer.from('GIF87a...'))).toBe(true);
    expect(gifFormat.sniff(Buffer.from('GIF88a...'))).toBe(false);
    expect(gifFormat.sniff(Buffer.from('GIF'))).toBe(false);
    expect(gifFormat.sniff(Buffer.from('\x89PNG\r\n\x1a\n'))).toBe(false);
  });
});

describe('gifFormat with GIFs written by libvips (sharp)', () => {
  const red = [255, 0, 0, 255];
  const blue = [0, 0, 255, 255];

  function solid(width: number, height: number, rgba: number[]): Sharp {
    return sharp(
      Buffer.alloc(width * height * 4).map((_, i) => rgba[i % 4]!),
      {
        raw: { width, height, channels: 4 },
      },
    );
  }

  it('decodes a still image with its transparent pixels', async () => {
    const width = 5;
    const height = 3;
    const raw = Buffer.alloc(width * height * 4);
    for (let i = 0; i < width * height; i++) raw.set(i === 7 ? [0, 0, 0, 0] : i < 5 ? red : blue, i * 4);
    const file = await sharp(raw, { raw: { width, height, channels: 4 } })
      .gif({ dither: 0 })
      .toBuffer();

    expect(gifFormat.sniff(file)).toBe(true);
    const declared = gifFormat.inspect(file, budget);
    expect(declared).toMatchObject({ format: 'gif', width, height, bitsPerSample: 8, channels: 1 });
    const decoded = await gifFormat.decode(file, declared);
    expect(decoded.bitmap).toMatchObject({ width, height });
    expect(decoded.bitmap.data).toHaveLength(width * height * 4);
    expect(decoded.orientation).toBe(1);
    expect(decoded.hasAlpha).toBe(true);
    expect(pixel(decoded.bitmap.data, width, 0, 0)).toEqual(red);
    expect(pixel(decoded.bitmap.data, width, 4, 2)).toEqual(blue);
    expect(pixel(decoded.bitmap.data, width, 2, 1)[3]).toBe(0);
  });

  it('says an opaque GIF has no alpha', async () => {
    // Three channels: libvips writes a transparent index for any RGBA input, even an opaque one.
    const file = await solid(4, 4, red).removeAlpha().gif().toBuffer();
    const decoded = await gifFormat.decode(file, gifFormat.inspect(file, budget));
    expect(decoded.hasAlpha).toBe(false);
    expect(pixel(decoded.bitmap.data, 4, 3, 3)).toEqual(red);
  });

  it('decodes only the first frame of an animation', async () => {
    const frames = await Promise.all([solid(6, 4, red).png().toBuffer(), solid(6, 4, blue).png().toBuffer()]);
    const file = await sharp(frames, { join: { animated: true } })
      .gif({ delay: [100, 100] })
      .toBuffer();
    expect(await sharp(file).metadata()).toMatchObject({ pages: 2 });

    const decoded = await gifFormat.decode(file, gifFormat.inspect(file, budget));
    expect(decoded.bitmap).toMatchObject({ width: 6, height: 4 });
    expect(pixel(decoded.bitmap.data, 6, 5, 3)).toEqual(red);
  });
});

describe('gifFormat with GIFs written byte by byte', () => {
  it('places a frame smaller than the screen at its offset, the rest of the screen transparent', async () => {
    // 2x2 frame at (1,1) of a 4x3 screen: red, green / blue, white.
    const file = gif({ screen: [4, 3], frame: { left: 1, top: 1, width: 2, height: 2 }, indices: [0, 1, 2, 3] });
    const declared = gifFormat.inspect(file, budget);
    expect(declared).toMatchObject({ width: 4, height: 3 });

    const { bitmap, hasAlpha } = await gifFormat.decode(file, declared);
    expect(bitmap).toMatchObject({ width: 4, height: 3 });
    expect(hasAlpha).toBe(true);
    expect(pixel(bitmap.data, 4, 0, 0)).toEqual([0, 0, 0, 0]);
    expect(pixel(bitmap.data, 4, 1, 1)).toEqual([255, 0, 0, 255]);
    expect(pixel(bitmap.data, 4, 2, 1)).toEqual([0, 255, 0, 255]);
    expect(pixel(bitmap.data, 4, 1, 2)).toEqual([0, 0, 255, 255]);
    expect(pixel(bitmap.data, 4, 2, 2)).toEqual([255, 255, 255, 255]);
    expect(pixel(bitmap.data, 4, 3, 2)).toEqual([0, 0, 0, 0]);
  });

  it('puts the rows of an interlaced frame back in order', async () => {
    // 1x9, stored in the four passes' order: rows 0, 8; 4; 2, 6; 1, 3, 5, 7. Row y has colour y % 4.
    const order = [0, 8, 4, 2, 6, 1, 3, 5, 7];
    const file = gif({
      screen: [1, 9],
      frame: { width: 1, height: 9, interlaced: true },
      indices: order.map((y) => y % 4),
    });
    const { bitmap } = await gifFormat.decode(file, gifFormat.inspect(file, budget));
    const colours = [
      [255, 0, 0, 255],
      [0, 255, 0, 255],
      [0, 0, 255, 255],
      [255, 255, 255, 255],
    ];
    expect(Array.from({ length: 9 }, (_, y) => pixel(bitmap.data, 1, 0, y))).toEqual(
      Array.from({ length: 9 }, (_, y) => colours[y % 4]),
    );
  });

  it("makes the graphic control extension's transparent index transparent", async () => {
    const file = gif({ screen: [2, 1], frame: { width: 2, height: 1, transparent: 1 }, indices: [0, 1] });
    const { bitmap, hasAlpha } = await gifFormat.decode(file, gifFormat.inspect(file, budget));
    expect(hasAlpha).toBe(true);
    expect(pixel(bitmap.data, 2, 0, 0)).toEqual([255, 0, 0, 255]);
    expect(pixel(bitmap.data, 2, 1, 0)[3]).toBe(0);
  });

  it('never reads past the first frame: a later block the decoder does not know does not matter', async () => {
    // A plain text extension (label 0x01) after the first frame, which omggif refuses on its own.
    const plainText = Buffer.concat([Buffer.from([0x21, 0x01, 12]), Buffer.alloc(12), Buffer.from([2, 65, 66, 0])]);
    const file = gif({ screen: [2, 1], frame: { width: 2, height: 1 }, indices: [2, 3], after: plainText });
    const { bitmap } = await gifFormat.decode(file, gifFormat.inspect(file, budget));
    expect(pixel(bitmap.data, 2, 0, 0)).toEqual([0, 0, 255, 255]);
  });

  it('refuses a file that is not a GIF structure as corrupt', async () => {
    const valid = gif({ screen: [2, 1], frame: { width: 2, height: 1 }, indices: [0, 1] });
    const cases: Buffer[] = [
      valid.subarray(0, 10), // inside the screen descriptor
      valid.subarray(0, valid.length - 4), // inside the image data
      Buffer.concat([valid.subarray(0, 25), Buffer.of(0x3b)]), // trailer before any image
      Buffer.concat([valid.subarray(0, 25), Buffer.of(0x99)]), // unknown block
      gif({ screen: [0, 0], frame: { width: 0, height: 0 } }), // nothing to show
    ];
    for (const file of cases) {
      const error = await failure(() => gifFormat.inspect(file, budget));
      expect(error).toBeInstanceOf(UnreadableImageError);
      expect(error.code).toBe('corrupt-image');
    }
  });
});

describe('gifFormat against hostile files', () => {
  // The file: 35 bytes, a 1x1 screen, a first frame of 65000x65000.
  const bomb = gif({
    screen: [1, 1],
    palette: [
      [0, 0, 0],
      [255, 255, 255],
      [0, 0, 0],
      [0, 0, 0],
    ],
    frame: { width: 65000, height: 65000 },
    indices: [0],
  });

  it('refuses a first frame of 65000x65000 inside a 1x1 screen before decoding anything', async () => {
    expect(bomb.length).toBeLessThan(64);
    const { ms, rssGrowth, bufferGrowth } = await measured(async () => {
      const error = await failure(() => gifFormat.inspect(bomb, budget));
      expect(error).toBeInstanceOf(ImageTooLargeError);
      expect(error.code).toBe('frame-outside-canvas');
      expect(error.message).toContain('65000x65000');
      // decode holds the same line if it is ever called without inspect.
      expect(
        (
          await failure(() =>
            gifFormat.decode(bomb, { format: 'gif', width: 1, height: 1, bitsPerSample: 8, channels: 1 }),
          )
        ).code,
      ).toBe('frame-outside-canvas');
    });
    expect(ms).toBeLessThan(2000);
    expect(rssGrowth).toBeLessThan(64 * 1024 * 1024);
    expect(bufferGrowth).toBeLessThan(1024 * 1024);
  });

  it('declares a 65000x65000 screen as it is, for the pixel budget to refuse', () => {
    const honest = gif({ screen: [65000, 65000], frame: { width: 65000, height: 65000 }, indices: [0] });
    expect(gifFormat.inspect(honest, budget)).toMatchObject({ width: 65000, height: 65000 });
  });

  it('refuses a frame offset that pushes an in-size frame off the screen', async () => {
    const file = gif({ screen: [4, 4], frame: { left: 3, top: 0, width: 2, height: 2 }, indices: [0, 1, 2, 3] });
    expect((await failure(() => gifFormat.inspect(file, budget))).code).toBe('frame-outside-canvas');
  });

  it('refuses a first frame whose LZW data is far longer than its pixels can need', async () => {
    const padding = Buffer.alloc(maxLzwBytes(1) + 1, 0);
    const file = gif({ screen: [1, 1], frame: { width: 1, height: 1 }, data: padding });
    const { ms } = await measured(async () => {
      const error = await failure(() => gifFormat.inspect(file, budget));
      expect(error).toBeInstanceOf(ImageTooLargeError);
      expect(error.code).toBe('excess-compressed-data');
    });
    expect(ms).toBeLessThan(1000);
  });

  it('accepts LZW data up to that bound', () => {
    const file = gif({ screen: [1, 1], frame: { width: 1, height: 1 }, data: Buffer.alloc(maxLzwBytes(1), 0) });
    expect(gifFormat.inspect(file, budget)).toMatchObject({ width: 1, height: 1 });
  });
});
