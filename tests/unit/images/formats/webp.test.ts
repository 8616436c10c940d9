import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { ImageTooLargeError, UnreadableImageError } from '../../../../src/errors';
import { checkBudget } from '../../../../src/images/budget';
import { webpFormat } from '../../../../src/images/formats/webp';
import type { DecodeBudget } from '../../../../src/images/types';
import { meanAbsoluteDifference, referenceRgba } from '../../../support/rgba-diff';

const FIXTURES = path.join(__dirname, '../../../fixtures/images');
const SOURCE = path.join(FIXTURES, 'source.png');
const SOURCE_RGBA = path.join(FIXTURES, 'source-rgba.png');
const BUDGET: DecodeBudget = { maxPixels: 50_000_000, maxBytes: 700 * 2 ** 20 };

async function decode(bytes: Buffer) {
  const declared = webpFormat.inspect(bytes, BUDGET);
  checkBudget(declared, BUDGET);
  return { declared, decoded: await webpFormat.decode(bytes, declared) };
}

/** A RIFF chunk, padded to an even length. */
function chunk(type: string, data: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.write(type, 0, 'latin1');
  header.writeUInt32LE(data.length, 4);
  return Buffer.concat([header, data, Buffer.alloc(data.length & 1)]);
}

function riff(...chunks: Buffer[]): Buffer {
  const body = Buffer.concat([Buffer.from('WEBP', 'latin1'), ...chunks]);
  const header = Buffer.alloc(8);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(body.length, 4);
  return Buffer.concat([header, body]);
}

const u24 = (value: number) => {
  const buffer = Buffer.alloc(3);
  buffer.writeUIntLE(value, 0, 3);
  return buffer;
};

function vp8x(flags: number, width: number, height: number): Buffer {
  return chunk('VP8X', Buffer.concat([Buffer.from([flags, 0, 0, 0]), u24(width - 1), u24(height - 1)]));
}

/** An ANMF chunk: a frame at (x, y) (even), holding the image chunks of a still WebP. */
function anmf(x: number, y: number, width: number, height: number, frameChunks: Buffer): Buffer {
  const header = Buffer.concat([u24(x / 2), u24(y / 2), u24(width - 1), u24(height - 1), u24(100), Buffer.from([0])]);
  return chunk('ANMF', Buffer.concat([header, frameChunks]));
}

/** The chunks after the RIFF header and the VP8X chunk (if any) of a still WebP. */
function imageChunksOf(still: Buffer): Buffer {
  const first = still.toString('latin1', 12, 16);
  return first === 'VP8X' ? still.subarray(12 + 18) : still.subarray(12);
}

/** An animation on a `width` x `height` canvas whose frames are the given stills at the given offsets. */
function animation(
  width: number,
  height: number,
  frames: { x: number; y: number; still: Buffer; w: number; h: number }[],
) {
  const anim = chunk('ANIM', Buffer.from([0, 0, 0, 0, 0, 0])); // background colour, loop count
  return riff(
    vp8x(0x02 | 0x10, width, height),
    anim,
    ...frames.map((frame) => anmf(frame.x, frame.y, frame.w, frame.h, imageChunksOf(frame.still))),
  );
}

const smallStill = (options: { lossless?: boolean; alpha?: boolean }) => {
  const image = sharp(options.alpha ? SOURCE_RGBA : SOURCE).extract({ left: 0, top: 0, width: 40, height: 30 });
  return image.webp({ quality: 80, lossless: options.lossless ?? false }).toBuffer();
};

describe('webpFormat.sniff', () => {
  it('recognises RIFF....WEBP only', async () => {
    expect(webpFormat.sniff(await sharp(SOURCE).webp().toBuffer())).toBe(true);
    expect(webpFormat.sniff(Buffer.from('RIFF\0\0\0\0WAVEfmt ', 'latin1'))).toBe(false);
    expect(webpFormat.sniff(readFileSync(SOURCE))).toBe(false);
  });
});

describe('webpFormat decodes to 8-bit RGBA, as libvips does', () => {
  it.each([
    ['lossy', SOURCE, { quality: 80 }, 3],
    ['lossy with alpha (ALPH)', SOURCE_RGBA, { quality: 80 }, 4],
    ['lossless', SOURCE_RGBA, { lossless: true }, 4],
    ['lossless, opaque', SOURCE, { lossless: true }, 3],
  ] as const)('%s', async (_name, source, options, channels) => {
    const bytes = await sharp(source).webp(options).toBuffer();
    const { declared, decoded } = await decode(bytes);
    expect(declared).toMatchObject({ format: 'webp', width: 96, height: 64, bitsPerSample: 8, channels });
    expect(decoded).toMatchObject({ orientation: 1, hasAlpha: channels === 4 });
    expect(decoded.bitmap).toMatchObject({ width: 96, height: 64 });
    expect(meanAbsoluteDifference(decoded.bitmap, await referenceRgba(bytes))).toBeLessThan(0.5);
  });

  it('lossless decodes exactly', async () => {
    const { decoded } = await decode(await sharp(SOURCE_RGBA).webp({ lossless: true }).toBuffer());
    expect(meanAbsoluteDifference(decoded.bitmap, await referenceRgba(SOURCE_RGBA))).toBe(0);
  });

  it('returns the embedded ICC profile (ICCP) for the colour step', async () => {
    const bytes = await sharp(SOURCE).webp().withIccProfile('p3').toBuffer();
    const { decoded } = await decode(bytes);
    expect(Buffer.from(decoded.iccProfile!)).toEqual((await sharp(bytes).metadata()).icc);
    expect((await decode(await sharp(SOURCE).webp().toBuffer())).decoded.iccProfile).toBeUndefined();
  });

  it('an animation: the first frame, as libvips shows it', async () => {
    const frames = [await sharp(SOURCE_RGBA).toBuffer(), await sharp(SOURCE_RGBA).negate({ alpha: false }).toBuffer()];
    const bytes = await sharp(frames, { join: { animated: true } })
      .webp({ quality: 80 })
      .toBuffer();
    expect((await sharp(bytes).metadata()).pages).toBe(2);
    const { declared, decoded } = await decode(bytes);
    expect(declared).toMatchObject({ width: 96, height: 64, channels: 4 });
    expect(meanAbsoluteDifference(decoded.bitmap, await referenceRgba(bytes))).toBeLessThan(0.5);
  });

  it.each([
    ['lossless', { lossless: true }],
    ['lossy with alpha', { alpha: true }],
    ['lossy', {}],
  ])(
    'an animation whose first frame (%s) is smaller than the canvas: placed at its offset on transparency',
    async (_name, options) => {
      const still = await smallStill(options);
      const bytes = animation(96, 64, [
        { x: 10, y: 20, w: 40, h: 30, still },
        { x: 0, y: 0, w: 40, h: 30, still },
      ]);
      const { declared, decoded } = await decode(bytes);
      expect(declared).toMatchObject({ width: 96, height: 64, channels: 4 });
      expect(decoded.hasAlpha).toBe(true);
      expect(decoded.bitmap).toMatchObject({ width: 96, height: 64 });
      // libvips (libwebp's animation decoder) composes frame one the same way.
      expect(meanAbsoluteDifference(decoded.bitmap, await referenceRgba(bytes))).toBeLessThan(0.5);
      const alphaAt = (x: number, y: number) => decoded.bitmap.data[(y * 96 + x) * 4 + 3];
      expect(alphaAt(5, 5)).toBe(0);
      expect(alphaAt(12, 22)).toBeGreaterThan(200);
    },
  );
});

describe('webpFormat.inspect reads the header without decoding', () => {
  it('reports a huge declared canvas honestly, so the budget refuses it in milliseconds', () => {
    // VP8X declaring 60000x60000 with a tiny VP8L bitstream of the same declared size.
    const vp8l = Buffer.alloc(5);
    vp8l[0] = 0x2f;
    vp8l.writeUInt32LE((16383 & 0x3fff) | ((16383 & 0x3fff) << 14), 1);
    const started = performance.now();
    const animated = animation(60_000, 60_000, [{ x: 0, y: 0, w: 16384, h: 16384, still: riff(chunk('VP8L', vp8l)) }]);
    const declared = webpFormat.inspect(animated, BUDGET);
    expect(declared).toMatchObject({ width: 60_000, height: 60_000 });
    expect(() => checkBudget(declared, BUDGET)).toThrow(ImageTooLargeError);
    expect(performance.now() - started).toBeLessThan(200);
  });

  it('counts the lossless decoder’s ARGB image in the memory estimate', async () => {
    const lossy = webpFormat.inspect(await sharp(SOURCE_RGBA).webp().toBuffer(), BUDGET);
    const lossless = webpFormat.inspect(await sharp(SOURCE_RGBA).webp({ lossless: true }).toBuffer(), BUDGET);
    expect(lossless.workingBytes! - lossy.workingBytes!).toBeGreaterThan(96 * 64 * 3);
  });

  it.each([
    ['the first', 0],
    ['a later', 1],
  ])('refuses an animation where %s frame reaches outside the canvas (frame-outside-canvas)', async (_name, index) => {
    const still = await smallStill({ lossless: true });
    const frames = [
      { x: 0, y: 0, w: 40, h: 30, still },
      { x: 0, y: 0, w: 40, h: 30, still },
    ];
    frames[index] = { ...frames[index]!, x: 60 }; // 60 + 40 > 96
    let thrown: unknown;
    try {
      webpFormat.inspect(animation(96, 64, frames), BUDGET);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ImageTooLargeError);
    expect(thrown).toMatchObject({
      code: 'frame-outside-canvas',
      message: expect.stringContaining(`frame ${index + 1}`),
    });
  });

  it.each([
    ['a RIFF size past the end of the file', async () => (await sharp(SOURCE).webp().toBuffer()).subarray(0, 100)],
    [
      'a canvas the image does not match',
      async () => {
        const still = await sharp(SOURCE).webp({ lossless: true }).toBuffer();
        return riff(vp8x(0, 200, 64), still.subarray(12));
      },
    ],
    [
      'a first frame whose image does not match its ANMF size',
      async () => {
        const still = await smallStill({ lossless: true });
        return animation(96, 64, [{ x: 0, y: 0, w: 50, h: 30, still }]);
      },
    ],
    ['an unknown first chunk', async () => riff(chunk('JUNK', Buffer.alloc(20)))],
  ])('refuses %s as corrupt-image', async (_name, make) => {
    const bytes = await make();
    expect(() => webpFormat.inspect(bytes, BUDGET)).toThrow(UnreadableImageError);
    expect(() => webpFormat.inspect(bytes, BUDGET)).toThrow(expect.objectContaining({ code: 'corrupt-image' }));
  });

  it('refuses a bitstream libwebp cannot decode as corrupt-image', async () => {
    const bytes = Buffer.from(await sharp(SOURCE).webp({ quality: 80 }).toBuffer());
    bytes.fill(0xff, 40); // after the VP8 frame header
    await expect(decode(bytes)).rejects.toMatchObject({ name: 'UnreadableImageError', code: 'corrupt-image' });
  });
});
