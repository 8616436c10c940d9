import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import * as UTIF from 'utif2';
import { ImageTooLargeError, UnreadableImageError } from '../../../../src/errors';
import { decodeLzw, decodePackBits, tiffFormat } from '../../../../src/images/formats/tiff';
import type { DecodeBudget, DecodedImage } from '../../../../src/images/types';
import { decodeWith, failure, measured, pixel } from '../../../support/format-tests';

const budget: DecodeBudget = { maxPixels: 50_000_000, maxBytes: 512 * 1024 * 1024 };

const SHORT = 3;
const LONG = 4;

interface PageSpec {
  width: number;
  height: number;
  bitsPerSample?: number;
  samplesPerPixel?: number;
  photometric?: number;
  compression?: number;
  rowsPerStrip?: number;
  /** The compressed strips, in order. */
  strips: Buffer[];
  /** Where each strip's offset points, if not at its own bytes (index into `strips`). */
  stripSource?: number[];
  /** Any other tag: [type, values]. */
  tags?: Record<number, [number, number[]]>;
}

/**
 * Writes a TIFF byte by byte: for each page its strips, then its directory (values that do not fit in
 * an entry after it), each directory linked to the next.
 */
function tiff(pages: PageSpec[], bigEndian = false): Buffer {
  const parts: Buffer[] = [];
  let size = 0;
  const push = (part: Buffer) => {
    const at = size;
    parts.push(part);
    size += part.length;
    return at;
  };
  const u16 = (value: number) => {
    const b = Buffer.alloc(2);
    if (bigEndian) b.writeUInt16BE(value);
    else b.writeUInt16LE(value);
    return b;
  };
  const u32 = (value: number) => {
    const b = Buffer.alloc(4);
    if (bigEndian) b.writeUInt32BE(value);
    else b.writeUInt32LE(value);
    return b;
  };
  const header = Buffer.concat([Buffer.from(bigEndian ? 'MM' : 'II', 'latin1'), u16(42), u32(0)]);
  push(header);
  let linkAt = 4; // where the offset of the next directory goes
  for (const page of pages) {
    const stripAt = page.strips.map((strip) => push(strip));
    const spp = page.samplesPerPixel ?? 1;
    const tags: Record<number, [number, number[]]> = {
      256: [LONG, [page.width]],
      257: [LONG, [page.height]],
      258: [SHORT, Array<number>(spp).fill(page.bitsPerSample ?? 8)],
      259: [SHORT, [page.compression ?? 1]],
      262: [SHORT, [page.photometric ?? (spp >= 3 ? 2 : 1)]],
      273: [LONG, (page.stripSource ?? page.strips.map((_, i) => i)).map((i) => stripAt[i]!)],
      277: [SHORT, [spp]],
      278: [LONG, [page.rowsPerStrip ?? page.height]],
      279: [LONG, (page.stripSource ?? page.strips.map((_, i) => i)).map((i) => page.strips[i]!.length)],
      ...page.tags,
    };
    const entries = Object.entries(tags)
      .map(([tag, [type, values]]) => ({ tag: Number(tag), type, values }))
      .sort((a, b) => a.tag - b.tag);
    const encode = (type: number, values: number[]) =>
      Buffer.concat(values.map((v) => (type === SHORT ? u16(v) : u32(v))));
    const outOfLine = entries.map((entry) => {
      const data = encode(entry.type, entry.values);
      return data.length > 4 ? push(data) : -1;
    });
    if (size % 2) push(Buffer.alloc(1));
    const ifdAt = size;
    const ifd = Buffer.concat([
      u16(entries.length),
      ...entries.map((entry, i) => {
        const data = encode(entry.type, entry.values);
        const value = outOfLine[i]! >= 0 ? u32(outOfLine[i]!) : Buffer.concat([data, Buffer.alloc(4 - data.length)]);
        return Buffer.concat([u16(entry.tag), u16(entry.type), u32(entry.values.length), value]);
      }),
      u32(0),
    ]);
    push(ifd);
    const link = Buffer.concat(parts);
    if (bigEndian) link.writeUInt32BE(ifdAt, linkAt);
    else link.writeUInt32LE(ifdAt, linkAt);
    parts.splice(0, parts.length, link);
    linkAt = ifdAt + ifd.length - 4;
  }
  return Buffer.concat(parts);
}

/** RGB or RGBA samples with every value different from its neighbours, so misplaced bytes show. */
function pattern(width: number, height: number, channels: number): Buffer {
  return Buffer.from(Buffer.alloc(width * height * channels).map((_, i) => (i * 37 + (i >> 5)) % 251));
}

/** The RGBA `image` as `channels` samples per pixel (alpha dropped for 3, kept for 4). */
function samplesOf(image: DecodedImage, channels: number): Buffer {
  const { data, width, height } = image.bitmap;
  const out = Buffer.alloc(width * height * channels);
  for (let i = 0; i < width * height; i++) out.set(data.subarray(i * 4, i * 4 + channels), i * channels);
  return out;
}

const decode = (file: Buffer) => decodeWith(tiffFormat, file, budget);

describe('tiffFormat.sniff', () => {
  it('recognises little- and big-endian classic TIFF only', () => {
    expect(tiffFormat.sniff(Buffer.from('II*\0'))).toBe(true);
    expect(tiffFormat.sniff(Buffer.from('MM\0*'))).toBe(true);
    expect(tiffFormat.sniff(Buffer.from('II+\0'))).toBe(false); // BigTIFF
    expect(tiffFormat.sniff(Buffer.from('MM*\0'))).toBe(false);
    expect(tiffFormat.sniff(Buffer.from('II*'))).toBe(false);
  });
});

describe('tiffFormat with TIFFs written by libvips (sharp)', () => {
  const width = 37;
  const height = 23;
  const rgb = pattern(width, height, 3);

  it.each([
    { compression: 'none' },
    { compression: 'lzw' },
    { compression: 'lzw', predictor: 'horizontal' },
    { compression: 'deflate' },
    { compression: 'deflate', predictor: 'horizontal' },
    { compression: 'packbits' },
    { compression: 'deflate', tile: true, tileWidth: 16, tileHeight: 16 },
    { compression: 'lzw', tile: true, tileWidth: 16, tileHeight: 16, predictor: 'horizontal' },
  ] as const)('decodes RGB exactly: %j', async (options) => {
    const file = await sharp(rgb, { raw: { width, height, channels: 3 } })
      .tiff(options)
      .toBuffer();
    const declared = tiffFormat.inspect(file, budget);
    expect(declared).toMatchObject({ format: 'tiff', width, height, bitsPerSample: 8, channels: 3 });
    const image = await tiffFormat.decode(file, declared);
    expect(image.bitmap).toMatchObject({ width, height });
    expect(image.orientation).toBe(1);
    expect(image.hasAlpha).toBe(false);
    expect(samplesOf(image, 3).equals(rgb)).toBe(true);
    expect(pixel(image, width - 1, height - 1)[3]).toBe(255);
  });

  it('keeps alpha', async () => {
    const rgba = pattern(width, height, 4);
    const file = await sharp(rgba, { raw: { width, height, channels: 4 } })
      .tiff({ compression: 'lzw' })
      .toBuffer();
    expect(tiffFormat.inspect(file, budget)).toMatchObject({ channels: 4 });
    const image = await decode(file);
    expect(image.hasAlpha).toBe(true);
    expect(samplesOf(image, 4).equals(rgba)).toBe(true);
  });

  it('returns the embedded ICC profile, and none when there is none', async () => {
    const image = sharp(rgb, { raw: { width, height, channels: 3 } });
    const withProfile = await decode(await image.clone().withIccProfile('p3').tiff({ compression: 'lzw' }).toBuffer());
    expect(Buffer.from(withProfile.iccProfile!).toString('latin1', 36, 40)).toBe('acsp');
    const withJpeg = await decode(await image.clone().withIccProfile('p3').tiff().toBuffer());
    expect(withJpeg.iccProfile?.length).toBe(withProfile.iccProfile!.length);
    const without = await decode(await image.clone().tiff({ compression: 'lzw' }).toBuffer());
    expect(without.iccProfile).toBeUndefined();
  });

  it('decodes grey, and grey with alpha', async () => {
    const grey = pattern(width, height, 1);
    // libvips writes JPEG-compressed TIFF unless told otherwise.
    const image = await decode(
      await sharp(grey, { raw: { width, height, channels: 1 } })
        .tiff({ compression: 'lzw' })
        .toBuffer(),
    );
    expect(pixel(image, 5, 7)).toEqual([grey[7 * width + 5], grey[7 * width + 5], grey[7 * width + 5], 255]);
    const greyAlpha = pattern(width, height, 2);
    const withAlpha = await decode(
      await sharp(greyAlpha, { raw: { width, height, channels: 2 } })
        .tiff({ compression: 'deflate' })
        .toBuffer(),
    );
    expect(withAlpha.hasAlpha).toBe(true);
    const at = 2 * (7 * width + 5);
    expect(pixel(withAlpha, 5, 7)).toEqual([greyAlpha[at], greyAlpha[at], greyAlpha[at], greyAlpha[at + 1]]);
  });
});

describe('tiffFormat with JPEG-compressed TIFFs (libvips writes them by default)', () => {
  const width = 37;
  const height = 23;
  // Smooth, so JPEG keeps it close: the decoders may differ by a few levels in chroma upsampling.
  const rgb = Buffer.alloc(width * height * 3).map((_, i) => {
    const p = Math.floor(i / 3);
    return [((p % width) * 255) / width, ((Math.floor(p / width) * 255) / height) | 0, 128][i % 3]!;
  });

  it.each([{}, { tile: true, tileWidth: 16, tileHeight: 16 }])('decodes %j like libvips does', async (options) => {
    const file = await sharp(rgb, { raw: { width, height, channels: 3 } })
      .tiff({ quality: 95, ...options })
      .toBuffer();
    const expected = await sharp(file).removeAlpha().raw().toBuffer();
    const declared = tiffFormat.inspect(file, budget);
    expect(declared).toMatchObject({ width, height, bitsPerSample: 8, channels: 3 });
    const image = await tiffFormat.decode(file, declared);
    expect(image.hasAlpha).toBe(false);
    const actual = samplesOf(image, 3);
    const worst = actual.reduce((max, value, i) => Math.max(max, Math.abs(value - expected[i]!)), 0);
    expect(worst).toBeLessThanOrEqual(4);
    expect(pixel(image, width - 1, height - 1)[3]).toBe(255);
  });

  it('refuses a strip whose JPEG is larger than the strip (a 4000x4000 JPEG in a 1x1 page)', async () => {
    const big = await sharp({ create: { width: 4000, height: 4000, channels: 3, background: '#808080' } })
      .jpeg()
      .toBuffer();
    const file = tiff([{ width: 1, height: 1, samplesPerPixel: 3, photometric: 6, compression: 7, strips: [big] }]);
    const { ms, rssGrowth } = await measured(async () => {
      const error = await failure(() => tiffFormat.inspect(file, budget));
      expect(error).toBeInstanceOf(ImageTooLargeError);
      expect(error.code).toBe('frame-outside-canvas');
      expect(
        (
          await failure(() =>
            tiffFormat.decode(file, { format: 'tiff', width: 1, height: 1, bitsPerSample: 8, channels: 3 }),
          )
        ).code,
      ).toBe('frame-outside-canvas');
    });
    expect(ms).toBeLessThan(1000);
    expect(rssGrowth).toBeLessThan(64 * 1024 * 1024);
  });

  it('decodes a strip that is a whole JPEG (no shared tables)', async () => {
    const small = await sharp({ create: { width: 8, height: 4, channels: 3, background: '#ff0000' } })
      .jpeg({ quality: 100 })
      .toBuffer();
    const image = await decode(
      tiff([{ width: 8, height: 4, samplesPerPixel: 3, photometric: 6, compression: 7, strips: [small] }]),
    );
    const [r, g, b] = pixel(image, 7, 3);
    expect(r).toBeGreaterThan(245);
    expect(g).toBeLessThan(10);
    expect(b).toBeLessThan(10);
  });
});

describe('tiffFormat with TIFFs written byte by byte', () => {
  it('16-bit RGB, little- and big-endian, counted as 16 bits', async () => {
    // Two pixels: (0x1234, 0xabcd, 0xff00) and (0x0001, 0x8000, 0xfffe).
    const values = [0x1234, 0xabcd, 0xff00, 0x0001, 0x8000, 0xfffe];
    for (const bigEndian of [false, true]) {
      const strip = Buffer.alloc(12);
      values.forEach((v, i) => (bigEndian ? strip.writeUInt16BE(v, 2 * i) : strip.writeUInt16LE(v, 2 * i)));
      const file = tiff([{ width: 2, height: 1, bitsPerSample: 16, samplesPerPixel: 3, strips: [strip] }], bigEndian);
      // The samples (2 x 6 bytes) and the one strip being decompressed (the same 12 bytes).
      expect(tiffFormat.inspect(file, budget)).toMatchObject({ bitsPerSample: 16, channels: 3, workingBytes: 24 });
      const image = await decode(file);
      expect([pixel(image, 0, 0), pixel(image, 1, 0)]).toEqual([
        [0x12, 0xab, 0xff, 255],
        [0x00, 0x80, 0xff, 255],
      ]);
    }
  });

  it('a palette image, and 1-bit white-is-zero', async () => {
    // 2 bits per index: 3, 0, 2, 1 in one byte. Colour map: reds, then greens, then blues (16-bit).
    const colorMap = [0, 0xffff, 0, 0x8080, 0, 0, 0xffff, 0x8080, 0xffff, 0, 0, 0x8080];
    const palette = await decode(
      tiff([
        {
          width: 4,
          height: 1,
          bitsPerSample: 2,
          photometric: 3,
          strips: [Buffer.of(0b11001001)],
          tags: { 320: [SHORT, colorMap] },
        },
      ]),
    );
    expect([0, 1, 2, 3].map((x) => pixel(palette, x, 0))).toEqual([
      [0x80, 0x80, 0x80, 255],
      [0, 0, 255, 255],
      [0, 255, 0, 255],
      [255, 0, 0, 255],
    ]);
    const bilevel = await decode(
      tiff([{ width: 3, height: 1, bitsPerSample: 1, photometric: 0, strips: [Buffer.of(0b01000000)] }]),
    );
    expect([0, 1, 2].map((x) => pixel(bilevel, x, 0))).toEqual([
      [255, 255, 255, 255],
      [0, 0, 0, 255],
      [255, 255, 255, 255],
    ]);
  });

  it('a fourth sample as alpha only when declared so, premultiplied alpha made straight', async () => {
    const page = { width: 1, height: 1, samplesPerPixel: 4, strips: [Buffer.of(100, 50, 0, 128)] };
    const straight = await decode(tiff([{ ...page, tags: { 338: [SHORT, [2]] } }]));
    expect([pixel(straight, 0, 0), straight.hasAlpha]).toEqual([[100, 50, 0, 128], true]);
    const premultiplied = await decode(tiff([{ ...page, tags: { 338: [SHORT, [1]] } }]));
    expect([pixel(premultiplied, 0, 0), premultiplied.hasAlpha]).toEqual([[199, 100, 0, 128], true]);
    const unspecified = await decode(tiff([{ ...page, tags: { 338: [SHORT, [0]] } }]));
    expect([pixel(unspecified, 0, 0), unspecified.hasAlpha]).toEqual([[100, 50, 0, 255], false]);
  });

  it('returns the Orientation tag for the render step to apply', async () => {
    const file = tiff([{ width: 1, height: 1, strips: [Buffer.of(9)], tags: { 274: [SHORT, [6]] } }]);
    expect((await decode(file)).orientation).toBe(6);
  });

  it('strips of several rows, the last one short', async () => {
    const grey = pattern(3, 5, 1);
    const strips = [grey.subarray(0, 6), grey.subarray(6, 12), grey.subarray(12)];
    const image = await decode(tiff([{ width: 3, height: 5, rowsPerStrip: 2, strips }]));
    expect(samplesOf(image, 1).equals(grey)).toBe(true);
  });

  it('refuses what it does not decode as unsupported', async () => {
    const one = { width: 1, height: 1, strips: [Buffer.of(0, 0, 0)] };
    const cases = [
      tiff([{ ...one, compression: 6 }]), // old-style JPEG
      tiff([{ ...one, compression: 4 }]), // CCITT Group 4
      tiff([{ ...one, samplesPerPixel: 3, photometric: 5 }]), // CMYK... with 3 samples
      tiff([{ ...one, samplesPerPixel: 4, photometric: 5, strips: [Buffer.alloc(4)] }]), // CMYK
      tiff([{ ...one, samplesPerPixel: 3, photometric: 6 }]), // YCbCr
      tiff([{ ...one, samplesPerPixel: 3, tags: { 284: [SHORT, [2]] } }]), // separate planes
      tiff([{ ...one, bitsPerSample: 32, strips: [Buffer.alloc(4)], tags: { 339: [SHORT, [3]] } }]), // float
    ];
    for (const file of cases) {
      const error = await failure(() => tiffFormat.inspect(file, budget));
      expect(error).toBeInstanceOf(UnreadableImageError);
      expect(error.code).toBe('unsupported-format');
    }
  });

  it('refuses broken structures as corrupt', async () => {
    const valid = tiff([{ width: 2, height: 1, strips: [Buffer.of(1, 2)] }]);
    const noWidth = Buffer.from(valid);
    const entry = valid.indexOf(Buffer.from([0x00, 0x01, LONG, 0])); // tag 256, type LONG
    noWidth.writeUInt16LE(255, entry); // now an unknown tag 255
    const stripPastEnd = tiff([{ width: 2, height: 1, strips: [Buffer.of(1, 2)], tags: { 279: [LONG, [1000]] } }]);
    const oddTiles = tiff([
      {
        width: 2,
        height: 1,
        strips: [],
        tags: { 322: [LONG, [10]], 323: [LONG, [16]], 324: [LONG, [8]], 325: [LONG, [2]] },
      },
    ]);
    const cases = [
      oddTiles,
      valid.subarray(0, 6),
      Buffer.concat([valid.subarray(0, 4), Buffer.from([0xff, 0xff, 0, 0])]),
      noWidth,
      stripPastEnd,
    ];
    for (const file of cases) {
      const error = await failure(() => tiffFormat.inspect(file, budget));
      expect(error).toBeInstanceOf(UnreadableImageError);
      expect(error.code).toBe('corrupt-image');
    }
  });
});

describe('the bounded decompressors', () => {
  it('PackBits: literal runs, repeats and no-ops, stopping when the output is full', () => {
    const source = Buffer.from([2, 1, 2, 3, 0xfe, 9, 0x80, 0, 7]);
    const out = new Uint8Array(7);
    decodePackBits(source, out);
    expect([...out]).toEqual([1, 2, 3, 9, 9, 9, 7]);
    const short = new Uint8Array(4);
    decodePackBits(source, short);
    expect([...short]).toEqual([1, 2, 3, 9]);
  });

  it('LZW: stops when the output is full', () => {
    const out = new Uint8Array(3);
    decodeLzw(lzwBomb(1), out);
    expect([...out]).toEqual([0, 0, 0]);
  });
});

/**
 * LZW codes that define ever longer strings of zeros (each code is the one being defined: the
 * previous string plus its first byte), 9 to 12 bits MSB first, then a clear code, `rounds` times.
 * Each round is about 5.5 KB and expands to about 7.4 MB.
 */
function lzwBomb(rounds: number): Buffer {
  const out: number[] = [];
  let buffer = 0;
  let bits = 0;
  const emit = (code: number, width: number) => {
    buffer = (buffer << width) | code;
    bits += width;
    while (bits >= 8) {
      out.push((buffer >>> (bits - 8)) & 0xff);
      bits -= 8;
      buffer &= (1 << bits) - 1;
    }
  };
  for (let round = 0; round < rounds; round++) {
    emit(256, round === 0 ? 9 : 12);
    let width = 9;
    emit(0, width);
    for (let next = 258; next < 4094;) {
      emit(next, width);
      next++;
      if (next === (1 << width) - 1 && width < 12) width++;
    }
  }
  emit(257, 12);
  if (bits > 0) out.push((buffer << (8 - bits)) & 0xff);
  return Buffer.from(out);
}

describe('tiffFormat against hostile files', () => {
  it('decodes only the first page of a multi-page TIFF whose first page is 1x1 and whose second is 12000x12000', async () => {
    // The second page is real: 12 Deflate strips of 1000 rows of 12000 RGB pixels (432 MB of samples).
    const strip = deflateSync(Buffer.alloc(1000 * 12000 * 3));
    const file = tiff([
      { width: 1, height: 1, samplesPerPixel: 3, strips: [Buffer.of(10, 20, 30)] },
      {
        width: 12000,
        height: 12000,
        samplesPerPixel: 3,
        compression: 8,
        rowsPerStrip: 1000,
        strips: Array(12).fill(strip),
      },
    ]);
    const pages = UTIF.decode(file);
    expect(pages.map((page) => page['t256'])).toEqual([[1], [12000]]);

    let image: DecodedImage | undefined;
    const { ms, rssGrowth, bufferGrowth } = await measured(async () => {
      const declared = tiffFormat.inspect(file, budget);
      expect(declared).toMatchObject({ width: 1, height: 1, channels: 3 });
      image = await tiffFormat.decode(file, declared);
    });
    expect(image?.bitmap).toMatchObject({ width: 1, height: 1 });
    expect(pixel(image!, 0, 0)).toEqual([10, 20, 30, 255]);
    expect(ms).toBeLessThan(1000);
    expect(rssGrowth).toBeLessThan(64 * 1024 * 1024);
    expect(bufferGrowth).toBeLessThan(16 * 1024 * 1024);
  });

  it('stops an LZW strip of a 1x1 page that expands to gigabytes once the pixel is decoded', async () => {
    const bomb = lzwBomb(400); // about 2.2 MB, expanding to about 3 GB
    const file = tiff([{ width: 1, height: 1, samplesPerPixel: 3, compression: 5, strips: [bomb] }]);
    let image: DecodedImage | undefined;
    const { ms, rssGrowth } = await measured(async () => {
      image = await decode(file);
    });
    expect(pixel(image!, 0, 0)).toEqual([0, 0, 0, 255]);
    expect(ms).toBeLessThan(1000);
    expect(rssGrowth).toBeLessThan(64 * 1024 * 1024);
  });

  it('refuses a Deflate strip of a 1x1 page that inflates past the page', async () => {
    const file = tiff([
      {
        width: 1,
        height: 1,
        samplesPerPixel: 3,
        compression: 8,
        strips: [deflateSync(Buffer.alloc(64 * 1024 * 1024))],
      },
    ]);
    const { ms, rssGrowth } = await measured(async () => {
      const error = await failure(() => decode(file));
      expect(error).toBeInstanceOf(ImageTooLargeError);
      expect(error.code).toBe('inflated-size-exceeded');
    });
    expect(ms).toBeLessThan(1000);
    expect(rssGrowth).toBeLessThan(64 * 1024 * 1024);
  });

  it('refuses a strip table that points many strips at the same bytes', async () => {
    // 2000 one-row strips, every one the same 4 KB: 8 MB of strips in a file of about 20 KB.
    const shared = Buffer.alloc(4096);
    const file = tiff([
      {
        width: 1,
        height: 2000,
        rowsPerStrip: 1,
        compression: 32773,
        strips: [shared],
        stripSource: Array(2000).fill(0),
      },
    ]);
    expect(file.length).toBeLessThan(32 * 1024);
    const error = await failure(() => tiffFormat.inspect(file, budget));
    expect(error).toBeInstanceOf(ImageTooLargeError);
    expect(error.code).toBe('excess-compressed-data');
  });

  it('counts a tile far larger than its 1x1 page in the memory it declares', () => {
    const file = tiff([
      {
        width: 1,
        height: 1,
        samplesPerPixel: 3,
        bitsPerSample: 16,
        compression: 8,
        strips: [],
        tags: { 322: [LONG, [16384]], 323: [LONG, [16384]], 324: [LONG, [8]], 325: [LONG, [0]] },
      },
    ]);
    expect(tiffFormat.inspect(file, budget).workingBytes).toBeGreaterThanOrEqual(16384 * 16384 * 6);
  });

  it('declares a huge first page as it is, for the pixel budget to refuse', () => {
    const file = tiff([{ width: 65000, height: 65000, compression: 8, strips: [deflateSync(Buffer.alloc(16))] }]);
    expect(tiffFormat.inspect(file, budget)).toMatchObject({ width: 65000, height: 65000 });
  });
});
