import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp, { type AvifOptions } from 'sharp';
import { ImageTooLargeError, UnreadableImageError } from '../../../../src/errors';
import { checkBudget } from '../../../../src/images/budget';
import { avifFormat } from '../../../../src/images/formats/avif';
import { heicFormat } from '../../../../src/images/formats/heic';
import type { DecodeBudget } from '../../../../src/images/types';
import {
  ALPHA_URN,
  auxC,
  box,
  colrNclx,
  colrProfile,
  fullBox,
  gridPayload,
  heifFile,
  imir,
  irot,
  ispe,
  pixi,
  u16,
} from '../../../support/isobmff-builder';
import { meanAbsoluteDifference, orient, referenceRgba } from '../../../support/rgba-diff';

const FIXTURES = path.join(__dirname, '../../../fixtures/images');
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name));
const SOURCE = path.join(FIXTURES, 'source.png');
const SOURCE_RGBA = path.join(FIXTURES, 'source-rgba.png');
const BUDGET: DecodeBudget = { maxPixels: 50_000_000, maxBytes: 700 * 2 ** 20 };

const avif = (input: string, options: AvifOptions, icc?: string) => {
  const image = sharp(input).avif({ quality: 80, ...options });
  return (icc ? image.withIccProfile(icc) : image).toBuffer();
};

async function decode(bytes: Buffer) {
  const declared = avifFormat.inspect(bytes, BUDGET);
  checkBudget(declared, BUDGET);
  return { declared, decoded: await avifFormat.decode(bytes, declared) };
}

/** A single av01 item with the given properties, and nothing to decode. */
const declaringSpec = (properties: Buffer[], brands = { major: 'avif', compatible: ['mif1', 'miaf'] }) => ({
  ...brands,
  primary: 1,
  items: [{ id: 1, type: 'av01', properties }],
});
const declaring = (properties: Buffer[], brands?: { major: string; compatible: string[] }) =>
  heifFile(declaringSpec(properties, brands));

describe('avifFormat.sniff', () => {
  it('recognises AVIF by its brands, and mif1 files by their primary item type', async () => {
    expect(avifFormat.sniff(await avif(SOURCE, {}))).toBe(true);
    expect(avifFormat.sniff(declaring([ispe(8, 8)], { major: 'mif1', compatible: ['miaf'] }))).toBe(true);
    const hevc = heifFile({ major: 'mif1', primary: 1, items: [{ id: 1, type: 'hvc1', properties: [ispe(8, 8)] }] });
    expect(avifFormat.sniff(hevc)).toBe(false);
    expect(heicFormat.sniff(hevc)).toBe(true);
    expect(avifFormat.sniff(fixture('photo-8bit.heic'))).toBe(false);
    expect(avifFormat.sniff(readFileSync(SOURCE))).toBe(false);
  });

  it('decides a grid in a mif1-only file by the type of its tiles', () => {
    const grid = heifFile({
      major: 'mif1',
      primary: 1,
      items: [
        { id: 1, type: 'grid', properties: [ispe(16, 8)], data: gridPayload(1, 2, 16, 8) },
        { id: 2, type: 'av01', properties: [ispe(8, 8)] },
        { id: 3, type: 'av01', properties: [ispe(8, 8)] },
      ],
      references: [{ type: 'dimg', from: 1, to: [2, 3] }],
    });
    expect(avifFormat.sniff(grid)).toBe(true);
    expect(heicFormat.sniff(grid)).toBe(false);
  });
});

describe('avifFormat decodes to 8-bit RGBA', () => {
  it.each([
    ['8-bit', SOURCE, { bitdepth: 8 }, 8, 3],
    ['10-bit', SOURCE, { bitdepth: 10 }, 10, 3],
    ['12-bit', SOURCE, { bitdepth: 12 }, 12, 3],
    ['8-bit with alpha', SOURCE_RGBA, { bitdepth: 8 }, 8, 4],
    ['10-bit with alpha', SOURCE_RGBA, { bitdepth: 10 }, 10, 4],
  ] as const)('%s: as libvips decodes it', async (_name, source, options, depth, channels) => {
    const bytes = await avif(source, options);
    const { declared, decoded } = await decode(bytes);
    expect(declared).toMatchObject({ format: 'avif', width: 96, height: 64, bitsPerSample: depth, channels });
    expect(decoded.bitmap).toMatchObject({ width: 96, height: 64 });
    expect(decoded.bitmap.data.length).toBe(96 * 64 * 4);
    expect(decoded.hasAlpha).toBe(channels === 4);
    expect(decoded.orientation).toBe(1);
    expect(meanAbsoluteDifference(decoded.bitmap, await referenceRgba(bytes))).toBeLessThan(1.5);
    // And close to what was encoded.
    expect(meanAbsoluteDifference(decoded.bitmap, await referenceRgba(source))).toBeLessThan(4);
  });

  it('returns the embedded ICC profile (colr prof) for the colour step', async () => {
    const bytes = await avif(SOURCE, {}, 'p3');
    const { decoded } = await decode(bytes);
    const { icc } = await sharp(bytes).metadata();
    expect(icc).toBeDefined();
    expect(Buffer.from(decoded.iccProfile!)).toEqual(icc);
    const { decoded: plain } = await decode(await avif(SOURCE, {}));
    expect(plain.iccProfile).toBeUndefined();
  });

  it.each([
    ['rotated-o6.avif', 6],
    ['rotated-o5.avif', 5],
  ])('%s: irot/imir become EXIF orientation %i, the pixels stay as stored', async (name, orientation) => {
    const { declared, decoded } = await decode(fixture(name));
    expect(declared).toMatchObject({ width: 96, height: 64 });
    expect(decoded.orientation).toBe(orientation);
    // libavif does not apply the transforms: the pixels are the source's, as encoded.
    const source = await referenceRgba(SOURCE);
    expect(meanAbsoluteDifference(decoded.bitmap, source)).toBeLessThan(4);
    // What libvips shows (it applies irot/imir) is the source turned as that EXIF orientation says.
    expect(meanAbsoluteDifference(await referenceRgba(fixture(name)), orient(source, orientation))).toBeLessThan(4);
  });

  it('a grid (avifenc, 3x2 tiles, alpha a grid too): the assembled image', async () => {
    const bytes = fixture('grid-3x2.avif');
    const { declared, decoded } = await decode(bytes);
    expect(declared).toMatchObject({ width: 192, height: 128, channels: 4 });
    expect(decoded.bitmap).toMatchObject({ width: 192, height: 128 });
    expect(decoded.hasAlpha).toBe(true);
    expect(meanAbsoluteDifference(decoded.bitmap, await referenceRgba(bytes))).toBeLessThan(1.5);
    const source = await referenceRgba(SOURCE_RGBA, (image) => image.resize(192, 128));
    expect(meanAbsoluteDifference(decoded.bitmap, source)).toBeLessThan(4);
  });

  it('refuses data the codec cannot decode as corrupt-image', async () => {
    const bytes = Buffer.from(await avif(SOURCE, {}));
    // Keep the container, overwrite the coded data (the mdat payload at the end of the file).
    bytes.fill(0xff, bytes.length - 200);
    await expect(decode(bytes)).rejects.toMatchObject({ name: 'UnreadableImageError', code: 'corrupt-image' });
  });
});

describe('avifFormat.inspect reads the container without decoding', () => {
  it('reports a huge declared size honestly, so the budget refuses it before any WebAssembly work', () => {
    const bytes = declaring([ispe(60_000, 60_000), pixi(8, 8, 8)]);
    const started = performance.now();
    const declared = avifFormat.inspect(bytes, BUDGET);
    expect(declared).toMatchObject({ width: 60_000, height: 60_000 });
    expect(() => checkBudget(declared, BUDGET)).toThrow(ImageTooLargeError);
    expect(performance.now() - started).toBeLessThan(200);
  });

  it('counts the frames an AV1 sequence header allows when they exceed ispe, so the budget refuses them', () => {
    // A reduced still-picture sequence header (AV1 5.5) declaring frames up to 16384x16384.
    const fields: [number, number][] = [
      [0, 3],
      [1, 1],
      [1, 1],
      [31, 5],
      [13, 4],
      [13, 4],
      [16383, 14],
      [16383, 14],
    ];
    const bits = fields.flatMap(([value, width]) =>
      Array.from({ length: width }, (_, i) => (value >> (width - 1 - i)) & 1),
    );
    const payload = Buffer.alloc(Math.ceil(bits.length / 8));
    bits.forEach((bit, i) => (payload[i >> 3]! |= bit << (7 - (i & 7))));
    const obu = Buffer.concat([Buffer.from([0x0a, payload.length]), payload]);
    const av1C = box('av1C', Buffer.from([0x81, 0x1f, 0x00, 0x00]), obu);
    const declared = avifFormat.inspect(declaring([ispe(64, 64), av1C]), BUDGET);
    expect(declared).toMatchObject({ width: 64, height: 64 });
    expect(declared.workingBytes!).toBeGreaterThan(16384 * 16384 * 3);
    expect(() => checkBudget(declared, BUDGET)).toThrow(expect.objectContaining({ code: 'over-memory-budget' }));
    // The same header declaring 64x64 changes nothing.
    const honest = avifFormat.inspect(declaring([ispe(64, 64)]), BUDGET);
    expect(honest.workingBytes!).toBeLessThan(1_000_000);
  });

  it("reads the sequence header from the item's data when av1C has none (as libavif writes it)", async () => {
    const bytes = Buffer.from(fixture('rotated-o6.avif'));
    const at = bytes.indexOf('ispe');
    bytes.writeUInt32BE(48, at + 8); // understate the 96x64 image
    bytes.writeUInt32BE(32, at + 12);
    const understated = avifFormat.inspect(bytes, BUDGET);
    expect(understated).toMatchObject({ width: 48, height: 32 });
    expect(understated.workingBytes!).toBeGreaterThanOrEqual(
      avifFormat.inspect(fixture('rotated-o6.avif'), BUDGET).workingBytes! - 96 * 64 * 4,
    );
    // And the decoder's output, larger than declared, is refused rather than passed on.
    await expect(avifFormat.decode(bytes, understated)).rejects.toMatchObject({ code: 'corrupt-image' });
  });

  it('counts depth and alpha in the memory estimate', () => {
    const at = (depth: number, alpha: boolean) =>
      heifFile({
        major: 'avif',
        primary: 1,
        items: [
          { id: 1, type: 'av01', properties: [ispe(4000, 3000), pixi(depth, depth, depth)] },
          ...(alpha ? [{ id: 2, type: 'av01', properties: [ispe(4000, 3000), auxC(ALPHA_URN)] }] : []),
        ],
        references: alpha ? [{ type: 'auxl', from: 2, to: [1] }] : [],
      });
    const eight = avifFormat.inspect(at(8, false), BUDGET);
    const ten = avifFormat.inspect(at(10, false), BUDGET);
    const alpha = avifFormat.inspect(at(8, true), BUDGET);
    expect(ten).toMatchObject({ bitsPerSample: 10, channels: 3 });
    expect(alpha).toMatchObject({ bitsPerSample: 8, channels: 4 });
    // Each of the three planes takes a byte more per sample in libavif's copy; alpha is a fourth plane.
    expect(ten.workingBytes!).toBeGreaterThanOrEqual(eight.workingBytes! + 4000 * 3000 * 3);
    expect(alpha.workingBytes!).toBeGreaterThan(eight.workingBytes! + 4000 * 3000);
  });

  it('ignores an auxiliary image that is not alpha (a depth map)', () => {
    const bytes = heifFile({
      major: 'avif',
      primary: 1,
      items: [
        { id: 1, type: 'av01', properties: [ispe(64, 64)] },
        { id: 2, type: 'av01', properties: [ispe(64, 64), auxC('urn:mpeg:mpegB:cicp:systems:auxiliary:depth')] },
      ],
      references: [{ type: 'auxl', from: 2, to: [1] }],
    });
    expect(avifFormat.inspect(bytes, BUDGET).channels).toBe(3);
  });

  it("reports a grid's output size and refuses tiles that would decode far more than it", () => {
    const grid = (tile: number, width: number, height: number, tiles = 4) =>
      heifFile({
        major: 'avif',
        primary: 1,
        items: [
          { id: 1, type: 'grid', properties: [ispe(width, height)], data: gridPayload(2, 2, width, height) },
          ...Array.from({ length: tiles }, (_, i) => ({ id: 2 + i, type: 'av01', properties: [ispe(tile, tile)] })),
        ],
        references: [{ type: 'dimg', from: 1, to: Array.from({ length: tiles }, (_, i) => 2 + i) }],
      });
    expect(avifFormat.inspect(grid(512, 1000, 900), BUDGET)).toMatchObject({ width: 1000, height: 900 });
    expect(() => avifFormat.inspect(grid(16_000, 100, 100), BUDGET)).toThrow(/do not fit its 100x100 output/);
    expect(() => avifFormat.inspect(grid(512, 1025, 900), BUDGET)).toThrow(/do not fit/);
    expect(() => avifFormat.inspect(grid(512, 1000, 900, 3), BUDGET)).toThrow(/refers to 3 tiles/);
  });

  it.each([
    ['none', 1, [irot(0)]],
    ['a quarter turn anticlockwise', 8, [irot(1)]],
    ['a half turn', 3, [irot(2)]],
    ['three quarter turns anticlockwise', 6, [irot(3)]],
    ['a top-bottom mirror (axis 0)', 4, [imir(0)]],
    ['a left-right mirror (axis 1)', 2, [imir(1)]],
    ['a quarter turn anticlockwise, then top-bottom', 5, [irot(1), imir(0)]],
    ['a quarter turn anticlockwise, then left-right', 7, [irot(1), imir(1)]],
    ['a quarter turn clockwise, then top-bottom', 7, [irot(3), imir(0)]],
    ['top-bottom, then a quarter turn anticlockwise', 7, [imir(0), irot(1)]],
  ])('irot/imir (%s) become EXIF orientation %i', async (_name, orientation, transforms) => {
    const bytes = declaring([ispe(96, 64), ...transforms]);
    const { describePrimaryImage } = await import('../../../../src/images/formats/isobmff');
    expect(describePrimaryImage(bytes, 'avif').orientation).toBe(orientation);
  });

  it('takes the ICC profile from colr prof, not from an nclx colr', async () => {
    const { describePrimaryImage } = await import('../../../../src/images/formats/isobmff');
    const icc = Buffer.from('not really an ICC profile, but bytes to carry');
    expect(
      Buffer.from(describePrimaryImage(declaring([ispe(8, 8), colrNclx(), colrProfile(icc)]), 'avif').iccProfile!),
    ).toEqual(icc);
    expect(describePrimaryImage(declaring([ispe(8, 8), colrNclx()]), 'avif').iccProfile).toBeUndefined();
  });

  it.each([
    ['no ispe', declaring([pixi(8, 8, 8)]), /no ispe/],
    ['a box past the end', declaring([ispe(8, 8)]).subarray(0, 120), /past the end/],
    [
      'no primary item',
      heifFile({ major: 'avif', primary: 7, items: [{ id: 1, type: 'av01', properties: [ispe(8, 8)] }] }),
      /not described/,
    ],
    [
      'an alpha image larger than the colour image',
      heifFile({
        major: 'avif',
        primary: 1,
        items: [
          { id: 1, type: 'av01', properties: [ispe(64, 64)] },
          { id: 2, type: 'av01', properties: [ispe(20_000, 20_000), auxC(ALPHA_URN)] },
        ],
        references: [{ type: 'auxl', from: 2, to: [1] }],
      }),
      /alpha image/,
    ],
  ])('refuses a container with %s as corrupt-image', (_name, bytes, message) => {
    let thrown: unknown;
    try {
      avifFormat.inspect(bytes, BUDGET);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(UnreadableImageError);
    expect(thrown).toMatchObject({ code: 'corrupt-image', message: expect.stringMatching(message) });
  });

  it('refuses an iloc declaring more extents than any real file, without walking them', () => {
    // Offset and length fields of 0 bytes: each item declares 65,535 extents in 8 bytes of iloc.
    const items = Array.from({ length: 5000 }, (_, i) => Buffer.concat([u16(i + 2), u16(0), u16(0), u16(65_535)]));
    const iloc = fullBox('iloc', 1, 0, u16(0), u16(items.length), ...items);
    const bytes = heifFile({ ...declaringSpec([ispe(8, 8)]), iloc });
    const started = performance.now();
    expect(() => avifFormat.inspect(bytes, BUDGET)).toThrow(/more than 100000 extents/);
    expect(performance.now() - started).toBeLessThan(200);
  });

  it('refuses an AVIF-branded file whose primary image is not AV1 as unsupported-format', () => {
    const bytes = heifFile({ major: 'avif', primary: 1, items: [{ id: 1, type: 'jpeg', properties: [ispe(8, 8)] }] });
    expect(() => avifFormat.inspect(bytes, BUDGET)).toThrow(expect.objectContaining({ code: 'unsupported-format' }));
  });
});
