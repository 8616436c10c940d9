import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { ImageTooLargeError } from '../../../../src/errors';
import { checkBudget } from '../../../../src/images/budget';
import { heicFormat } from '../../../../src/images/formats/heic';
import type { DecodeBudget } from '../../../../src/images/types';
import { ALPHA_URN, auxC, gridPayload, heifFile, irot, ispe, pixi } from '../../../support/isobmff-builder';
import { meanAbsoluteDifference, orient, referenceRgba } from '../../../support/rgba-diff';

// HEIC fixtures are committed (sharp can neither write nor read HEIC): see tests/fixtures/images/README.md.
const FIXTURES = path.join(__dirname, '../../../fixtures/images');
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name));
const SOURCE = path.join(FIXTURES, 'source.png');
const SOURCE_RGBA = path.join(FIXTURES, 'source-rgba.png');
const BUDGET: DecodeBudget = { maxPixels: 50_000_000, maxBytes: 700 * 2 ** 20 };
/** x265 at quality 90 on a 96x64 gradient: what lossy coding leaves, per sample. */
const LOSSY = 4;

async function decode(bytes: Buffer) {
  const declared = heicFormat.inspect(bytes, BUDGET);
  checkBudget(declared, BUDGET);
  return { declared, decoded: await heicFormat.decode(bytes, declared) };
}

describe('heicFormat.sniff', () => {
  it('recognises HEIC by its brands and not AVIF, PNG or an unrelated ISOBMFF file (MP4)', async () => {
    expect(heicFormat.sniff(fixture('photo-8bit.heic'))).toBe(true);
    expect(heicFormat.sniff(fixture('rotated-o6.avif'))).toBe(false);
    expect(heicFormat.sniff(readFileSync(SOURCE))).toBe(false);
    const mp4 = Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypisom\0\0\0\0isomavc1', 'latin1')]);
    expect(heicFormat.sniff(mp4)).toBe(false);
    expect(heicFormat.sniff(await sharp(SOURCE).avif().toBuffer())).toBe(false);
  });
});

describe('heicFormat decodes phone-style HEIC to 8-bit RGBA', () => {
  it('8-bit: the source it was encoded from, within lossy tolerance', async () => {
    const { declared, decoded } = await decode(fixture('photo-8bit.heic'));
    expect(declared).toMatchObject({ format: 'heic', width: 96, height: 64, bitsPerSample: 8, channels: 3 });
    expect(decoded).toMatchObject({ orientation: 1, hasAlpha: false });
    expect(decoded.bitmap.data.length).toBe(96 * 64 * 4);
    expect(meanAbsoluteDifference(decoded.bitmap, await referenceRgba(SOURCE))).toBeLessThan(LOSSY);
  });

  it('10-bit: declared as 10 bits, decoded to 8', async () => {
    const { declared, decoded } = await decode(fixture('photo-10bit.heic'));
    expect(declared).toMatchObject({ width: 96, height: 64, bitsPerSample: 10, channels: 3 });
    expect(meanAbsoluteDifference(decoded.bitmap, await referenceRgba(SOURCE))).toBeLessThan(LOSSY);
  });

  it('alpha: the auxiliary alpha image becomes the alpha channel', async () => {
    const { declared, decoded } = await decode(fixture('alpha.heic'));
    expect(declared).toMatchObject({ channels: 4 });
    expect(decoded.hasAlpha).toBe(true);
    const reference = await referenceRgba(SOURCE_RGBA);
    expect(meanAbsoluteDifference(decoded.bitmap, reference)).toBeLessThan(LOSSY);
    // The alpha channel itself: falling from 255 at the left to 55 at the right.
    const alphaAt = (x: number) => decoded.bitmap.data[(32 * 96 + x) * 4 + 3]!;
    expect(alphaAt(0)).toBeGreaterThan(245);
    expect(alphaAt(95)).toBeLessThan(65);
  });

  it.each([
    ['rotated-o6.heic', 6],
    ['rotated-o5.heic', 5],
  ])('%s: libheif applies irot/imir, so the pixels come out upright (orientation 1)', async (name, exif) => {
    const { declared, decoded } = await decode(fixture(name));
    expect(declared).toMatchObject({ width: 96, height: 64 }); // as stored
    expect(decoded.orientation).toBe(1);
    expect(decoded.bitmap).toMatchObject({ width: 64, height: 96 });
    expect(meanAbsoluteDifference(decoded.bitmap, orient(await referenceRgba(SOURCE), exif))).toBeLessThan(LOSSY);
  });

  it('a grid of tiles, as phones write them (heif-enc --cut-tiles, 3x2 tiles of 64x64)', async () => {
    const { declared, decoded } = await decode(fixture('grid-3x2.heic'));
    expect(declared).toMatchObject({ width: 192, height: 128, channels: 3 });
    expect(decoded.bitmap).toMatchObject({ width: 192, height: 128 });
    const source = await referenceRgba(SOURCE, (image) => image.resize(192, 128));
    expect(meanAbsoluteDifference(decoded.bitmap, source)).toBeLessThan(LOSSY);
  });

  it('returns the embedded ICC profile (colr prof) for the colour step', async () => {
    const { decoded } = await decode(fixture('photo-p3.heic'));
    const { icc } = await sharp(await sharp(SOURCE).withIccProfile('p3').png().toBuffer()).metadata();
    expect(Buffer.from(decoded.iccProfile!)).toEqual(icc);
    expect((await decode(fixture('photo-8bit.heic'))).decoded.iccProfile).toBeUndefined();
  });

  it('refuses a file whose coded data is cut short as corrupt-image', async () => {
    // The container (at the start) is whole; the HEVC data in mdat, at the end, is not.
    const bytes = fixture('photo-8bit.heic');
    await expect(decode(bytes.subarray(0, bytes.length - 300))).rejects.toMatchObject({
      name: 'UnreadableImageError',
      code: 'corrupt-image',
    });
  });
});

describe('heicFormat gives WebAssembly memory back after a large image', () => {
  afterEach(() => jest.restoreAllMocks());

  it('keeps the instance after small images, and instantiates afresh after one estimated above 64 MiB', async () => {
    const bytes = fixture('photo-8bit.heic');
    const declared = heicFormat.inspect(bytes, BUDGET);
    await heicFormat.decode(bytes, declared); // loaded
    const Instance = WebAssembly.Instance;
    // Counts instantiations; a spy that called through would call the constructor without `new`.
    const instantiate = jest
      .spyOn(WebAssembly, 'Instance')
      .mockImplementation((module, imports) => new Instance(module, imports));
    await heicFormat.decode(bytes, declared);
    expect(instantiate).not.toHaveBeenCalled();
    // As a 12 MP photo declares: the instance that decoded it is dropped...
    await heicFormat.decode(bytes, { ...declared, workingBytes: 200 * 2 ** 20 });
    expect(instantiate).not.toHaveBeenCalled();
    // ...and the next image gets a new one, from the compiled module kept (nothing compiled again).
    const compile = jest.spyOn(WebAssembly, 'compile');
    const { decoded } = await decode(bytes);
    expect(instantiate).toHaveBeenCalledTimes(1);
    expect(compile).not.toHaveBeenCalled();
    expect(decoded.bitmap).toMatchObject({ width: 96, height: 64 });
  });
});

describe('heicFormat.inspect reads the container without decoding', () => {
  const hevc = (properties: Buffer[]) =>
    heifFile({ major: 'heic', compatible: ['mif1'], primary: 1, items: [{ id: 1, type: 'hvc1', properties }] });

  it('reports a huge declared size honestly, so the budget refuses it in milliseconds', () => {
    const started = performance.now();
    const declared = heicFormat.inspect(hevc([ispe(60_000, 60_000), pixi(8, 8, 8)]), BUDGET);
    expect(declared).toMatchObject({ width: 60_000, height: 60_000 });
    expect(() => checkBudget(declared, BUDGET)).toThrow(ImageTooLargeError);
    expect(performance.now() - started).toBeLessThan(200);
  });

  it("reports an iPhone-style grid's output size, and the whole tiles it decodes in the memory estimate", () => {
    // 4032x3024 as 8x6 tiles of 512x512: the right and bottom tiles overhang the output.
    const tiles = Array.from({ length: 48 }, (_, i) => ({ id: 2 + i, type: 'hvc1', properties: [ispe(512, 512)] }));
    const grid = (width: number, height: number, rows = 6) =>
      heifFile({
        major: 'heic',
        compatible: ['mif1'],
        primary: 1,
        items: [
          {
            id: 1,
            type: 'grid',
            properties: [ispe(width, height), irot(3)],
            data: gridPayload(rows, 48 / rows, width, height),
          },
          ...tiles,
          { id: 60, type: 'hvc1', properties: [ispe(4032, 3024), auxC(ALPHA_URN)] },
        ],
        references: [
          { type: 'dimg', from: 1, to: tiles.map((tile) => tile.id) },
          { type: 'auxl', from: 60, to: [1] },
        ],
      });
    const declared = heicFormat.inspect(grid(4032, 3024), BUDGET);
    expect(declared).toMatchObject({ width: 4032, height: 3024, bitsPerSample: 8, channels: 4 });
    // Every tile is decoded whole: 48 x 512 x 512 samples of three planes, more than 4032 x 3024.
    expect(declared.workingBytes!).toBeGreaterThan(48 * 512 * 512 * 3 * 2.5);
    // Tiles that cannot fit the output: refused before anything is decoded.
    expect(() => heicFormat.inspect(grid(3000, 3024), BUDGET)).toThrow(
      expect.objectContaining({ code: 'corrupt-image' }),
    );
  });

  it('counts the picture size the HEVC SPS declares when ispe understates it', async () => {
    const bytes = Buffer.from(fixture('photo-8bit.heic'));
    const at = bytes.indexOf('ispe');
    bytes.writeUInt32BE(48, at + 8); // the SPS says 96x64
    bytes.writeUInt32BE(32, at + 12);
    const understated = heicFormat.inspect(bytes, BUDGET);
    expect(understated).toMatchObject({ width: 48, height: 32 });
    const honest = heicFormat.inspect(fixture('photo-8bit.heic'), BUDGET);
    // Everything but the RGBA output (which follows the declared size) is counted at 96x64.
    expect(understated.workingBytes!).toBeGreaterThanOrEqual(honest.workingBytes! - (96 * 64 - 48 * 32) * 4);
    // libheif refuses the mismatch once decoded.
    await expect(heicFormat.decode(bytes, understated)).rejects.toMatchObject({ code: 'corrupt-image' });
  });

  it('refuses a HEIF file whose primary image is not HEVC as unsupported-format', () => {
    const jpegItem = heifFile({
      major: 'mif1',
      primary: 1,
      items: [{ id: 1, type: 'jpeg', properties: [ispe(8, 8)] }],
    });
    expect(heicFormat.sniff(jpegItem)).toBe(true);
    expect(() => heicFormat.inspect(jpegItem, BUDGET)).toThrow(expect.objectContaining({ code: 'unsupported-format' }));
  });

  it('refuses a truncated container as corrupt-image', () => {
    const bytes = fixture('photo-8bit.heic').subarray(0, 200);
    expect(() => heicFormat.inspect(bytes, BUDGET)).toThrow(expect.objectContaining({ code: 'corrupt-image' }));
  });
});
