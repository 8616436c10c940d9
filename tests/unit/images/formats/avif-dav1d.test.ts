import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp, { type AvifOptions } from 'sharp';
import { checkBudget } from '../../../../src/images/budget';
import * as dav1d from '../../../../src/images/codecs/dav1d';
import { avifFormat, decodeWithLibavif } from '../../../../src/images/formats/avif';
import {
  planDav1dDecode,
  reductionFactor,
  shrinkI420ToRgba,
  convertI420ToRgba,
} from '../../../../src/images/formats/avif-dav1d';
import { readAv1SequenceHeader } from '../../../../src/images/formats/av1-sequence-header';
import { describePrimaryImage } from '../../../../src/images/formats/isobmff';
import { renderThumbnails } from '../../../../src/images/render';
import { parseBoundingBoxes } from '../../../../src/thumbnail/sizes';
import type { DecodeBudget, RgbaBitmap } from '../../../../src/images/types';
import { meanAbsoluteDifference, referenceRgba } from '../../../support/rgba-diff';

const FIXTURES = path.join(__dirname, '../../../fixtures/images');
const SOURCE = path.join(FIXTURES, 'source.png');
const SOURCE_RGBA = path.join(FIXTURES, 'source-rgba.png');
const BUDGET: DecodeBudget = { maxPixels: 50_000_000, maxBytes: 700 * 2 ** 20 };

const avif = (input: string | Buffer, options: AvifOptions) =>
  sharp(input)
    .avif({ quality: 80, chromaSubsampling: '4:2:0', ...options })
    .toBuffer();

async function decode(bytes: Buffer, atLeast?: { width: number; height: number }) {
  const declared = avifFormat.inspect(bytes, BUDGET);
  checkBudget(declared, BUDGET);
  return avifFormat.decode(bytes, declared, atLeast ? { atLeast } : {});
}

/** `image` averaged over blocks of `factor` x `factor` pixels (partial blocks at the edges), rounded. */
function boxAverage(image: RgbaBitmap, factor: number): RgbaBitmap {
  const width = Math.ceil(image.width / factor);
  const height = Math.ceil(image.height / factor);
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 4; c++) {
        let sum = 0;
        let count = 0;
        for (let sy = y * factor; sy < Math.min((y + 1) * factor, image.height); sy++) {
          for (let sx = x * factor; sx < Math.min((x + 1) * factor, image.width); sx++) {
            sum += image.data[(sy * image.width + sx) * 4 + c]!;
            count++;
          }
        }
        data[(y * width + x) * 4 + c] = Math.round(sum / count);
      }
    }
  }
  return { data, width, height };
}

/** Flips one bit of `bytes` (in place). */
const flipBit = (bytes: Uint8Array, bit: number) => (bytes[bit >> 3]! ^= 0x80 >> (bit & 7));

/** Writes `value` into the 8 bits at `bit` (in place). */
function writeByteAt(bytes: Uint8Array, bit: number, value: number) {
  for (let i = 0; i < 8; i++) {
    const current = (bytes[(bit + i) >> 3]! >> (7 - ((bit + i) & 7))) & 1;
    if (current !== ((value >> (7 - i)) & 1)) flipBit(bytes, bit + i);
  }
}

describe('AVIF shrink-on-load through dav1d', () => {
  it('decodes an 8-bit 4:2:0 AVIF at half size when the thumbnail needs no more, as libavif would look halved', async () => {
    const bytes = await avif(SOURCE, {});
    const reduced = await decode(bytes, { width: 40, height: 30 });
    // The fast path reports the full size and returns the reduced image; libavif's path is full size.
    expect(reduced.fullSize).toEqual({ width: 96, height: 64 });
    expect(reduced.bitmap).toMatchObject({ width: 48, height: 32 });
    expect(reduced.bitmap.data.length).toBe(48 * 32 * 4);
    expect(reduced).toMatchObject({ orientation: 1, hasAlpha: false });
    const full = await decodeWithLibavif(bytes);
    expect(meanAbsoluteDifference(reduced.bitmap, boxAverage(full.bitmap, 2))).toBeLessThan(1);
    expect(meanAbsoluteDifference(reduced.bitmap, boxAverage(await referenceRgba(bytes), 2))).toBeLessThan(1.5);
    // Opaque.
    for (let i = 3; i < reduced.bitmap.data.length; i += 4) expect(reduced.bitmap.data[i]).toBe(255);
  });

  it('reduces by the largest even factor the thumbnail allows (4: a quarter, rounded up)', async () => {
    const bytes = await avif(SOURCE, {});
    expect(reductionFactor(96, 64, { width: 20, height: 12 })).toBe(4);
    const reduced = await decode(bytes, { width: 20, height: 12 });
    expect(reduced.bitmap).toMatchObject({ width: 24, height: 16 });
    const full = await decodeWithLibavif(bytes);
    expect(meanAbsoluteDifference(reduced.bitmap, boxAverage(full.bitmap, 4))).toBeLessThan(1);
  });

  it('handles partial blocks at the edges (factor 6 of 94x62)', async () => {
    const bytes = await avif(await sharp(SOURCE).resize(94, 62, { fit: 'fill' }).toBuffer(), {});
    expect(reductionFactor(94, 62, { width: 15, height: 10 })).toBe(6);
    const reduced = await decode(bytes, { width: 15, height: 10 });
    expect(reduced.bitmap).toMatchObject({ width: 16, height: 11 });
    const full = await decodeWithLibavif(bytes);
    expect(meanAbsoluteDifference(reduced.bitmap, boxAverage(full.bitmap, 6))).toBeLessThan(1);
  });

  it.each([
    ['BT.709', 1, 1],
    ['BT.2020', 9, 1],
    ['FCC', 4, 0.05],
    ['SMPTE 240M', 7, 1],
    ['unspecified (as BT.601)', 2, 0],
  ])("converts with the sequence header's matrix coefficients (%s) as libavif does", async (_name, matrix, change) => {
    const bytes = Buffer.from(await avif(SOURCE, {}));
    const plan = planDav1dDecode(bytes, describePrimaryImage(bytes, 'avif'), { width: 40, height: 30 })!;
    const header = readAv1SequenceHeader(plan.obus)!.colour!;
    expect(header.matrixCoefficients).toBe(6);
    writeByteAt(plan.obus, header.matrixBit!, matrix); // plan.obus is a view of bytes
    expect(readAv1SequenceHeader(plan.obus)!.colour!.matrixCoefficients).toBe(matrix);
    const reduced = await decode(bytes, { width: 40, height: 30 });
    expect(reduced.fullSize).toBeDefined();
    const full = await decodeWithLibavif(bytes);
    expect(meanAbsoluteDifference(reduced.bitmap, boxAverage(full.bitmap, 2))).toBeLessThan(1);
    // And it changed the colours (the comparison is not vacuous).
    const unchanged = await decode(await avif(SOURCE, {}), { width: 40, height: 30 });
    const difference = meanAbsoluteDifference(reduced.bitmap, unchanged.bitmap);
    if (change > 0) expect(difference).toBeGreaterThan(change);
    else expect(difference).toBe(0);
  });

  it("converts limited-range data (the sequence header's color_range) as libavif does", async () => {
    const bytes = Buffer.from(await avif(SOURCE, {}));
    const plan = planDav1dDecode(bytes, describePrimaryImage(bytes, 'avif'), { width: 40, height: 30 })!;
    const header = readAv1SequenceHeader(plan.obus)!.colour!;
    expect(header.fullRange).toBe(true);
    flipBit(plan.obus, header.rangeBit!);
    expect(readAv1SequenceHeader(plan.obus)!.colour!.fullRange).toBe(false);
    const reduced = await decode(bytes, { width: 40, height: 30 });
    expect(reduced.fullSize).toBeDefined();
    const full = await decodeWithLibavif(bytes);
    expect(meanAbsoluteDifference(reduced.bitmap, boxAverage(full.bitmap, 2))).toBeLessThan(1);
    const unchanged = await decode(await avif(SOURCE, {}), { width: 40, height: 30 });
    expect(meanAbsoluteDifference(reduced.bitmap, unchanged.bitmap)).toBeGreaterThan(3);
  });

  it.each([
    ['4:4:4', SOURCE, { chromaSubsampling: '4:4:4' }],
    ['10-bit', SOURCE, { bitdepth: 10 }],
    ['12-bit', SOURCE, { bitdepth: 12 }],
    ['alpha', SOURCE_RGBA, {}],
  ] as const)('leaves %s to libavif (full size), decoded as before', async (_name, source, options) => {
    const bytes = await avif(source, options);
    const dav1dCalls = jest.spyOn(dav1d, 'decodeAv1Frame');
    const decoded = await decode(bytes, { width: 20, height: 12 });
    expect(dav1dCalls).not.toHaveBeenCalled();
    dav1dCalls.mockRestore();
    expect(decoded.fullSize).toBeUndefined();
    expect(decoded.bitmap).toMatchObject({ width: 96, height: 64 });
    expect(meanAbsoluteDifference(decoded.bitmap, await referenceRgba(bytes))).toBeLessThan(1.5);
  });

  it('leaves odd sizes and grids to libavif', async () => {
    const dav1dCalls = jest.spyOn(dav1d, 'decodeAv1Frame');
    const odd = await avif(await sharp(SOURCE).resize(95, 63, { fit: 'fill' }).toBuffer(), {});
    expect((await decode(odd, { width: 20, height: 12 })).bitmap).toMatchObject({ width: 95, height: 63 });
    const grid = readFileSync(path.join(FIXTURES, 'grid-3x2.avif'));
    expect((await decode(grid, { width: 20, height: 12 })).fullSize).toBeUndefined();
    expect(dav1dCalls).not.toHaveBeenCalled();
    dav1dCalls.mockRestore();
  });

  it('decodes at full size through dav1d when the thumbnail needs more than half, exactly as libavif', async () => {
    const bytes = await avif(SOURCE, {});
    expect(reductionFactor(96, 64, { width: 49, height: 20 })).toBe(1);
    const dav1dCalls = jest.spyOn(dav1d, 'decodeAv1Frame');
    const decoded = await decode(bytes, { width: 49, height: 20 });
    expect(dav1dCalls).toHaveBeenCalledTimes(1);
    dav1dCalls.mockRestore();
    expect(decoded.fullSize).toBeUndefined();
    expect(decoded.bitmap).toMatchObject({ width: 96, height: 64 });
    // The same bilinear chroma upsampling and formulas as libavif's: equal but for a rare rounding.
    const reference = await decodeWithLibavif(bytes);
    let worst = 0;
    for (let i = 0; i < reference.bitmap.data.length; i++) {
      worst = Math.max(worst, Math.abs(decoded.bitmap.data[i]! - reference.bitmap.data[i]!));
    }
    expect(worst).toBeLessThanOrEqual(1);
    expect(meanAbsoluteDifference(decoded.bitmap, reference.bitmap)).toBeLessThan(0.01);
    // And without a size to reach (a decode for its own sake), the same.
    expect((await decode(bytes)).bitmap.data).toEqual(decoded.bitmap.data);
  });

  it('passes the ICC profile on to the render step', async () => {
    const bytes = await sharp(SOURCE).avif({ quality: 80, chromaSubsampling: '4:2:0' }).withIccProfile('p3').toBuffer();
    const decoded = await decode(bytes, { width: 20, height: 12 });
    expect(decoded.fullSize).toBeDefined();
    expect(decoded.iccProfile).toBeDefined();
    expect(Buffer.from(decoded.iccProfile!)).toEqual((await sharp(bytes).metadata()).icc);
  });

  it('gives data dav1d refuses, and a file cut short, to libavif, which refuses them as corrupt-image', async () => {
    const bytes = Buffer.from(await avif(SOURCE, {}));
    const plan = planDav1dDecode(bytes, describePrimaryImage(bytes, 'avif'), { width: 20, height: 12 })!;
    plan.obus.fill(0xff); // OBU headers with the forbidden bit set
    await expect(decode(bytes, { width: 20, height: 12 })).rejects.toMatchObject({ code: 'corrupt-image' });
    const cut = (await avif(SOURCE, {})).subarray(0, -200);
    await expect(decode(cut, { width: 20, height: 12 })).rejects.toMatchObject({ code: 'corrupt-image' });
  });

  it('decodes through damage inside the coded tiles, as dav1d does in browsers (libavif refuses it)', async () => {
    // A behaviour of the fast path: like libjpeg's warnings on the JPEG path, damaged entropy-coded data
    // that still parses gives a (damaged) thumbnail rather than a verdict.
    const bytes = Buffer.from(await avif(SOURCE, {}));
    bytes.fill(0xff, bytes.length - 200);
    expect((await decode(bytes, { width: 20, height: 12 })).fullSize).toEqual({ width: 96, height: 64 });
    await expect(decodeWithLibavif(bytes)).rejects.toMatchObject({ code: 'corrupt-image' });
  });

  it.each([
    ['rotated-o6.avif', 6],
    ['rotated-o5.avif', 5],
  ])('%s: the reduced image keeps EXIF orientation %i, and the render turns it upright', async (name, orientation) => {
    const bytes = readFileSync(path.join(FIXTURES, name));
    const decoded = await decode(bytes, { width: 20, height: 20 });
    expect(decoded).toMatchObject({ orientation, fullSize: { width: 96, height: 64 } });
    expect(decoded.bitmap).toMatchObject({ width: 48, height: 32 });
    const options = { outputFormat: 'png' as const, quality: 80, budget: BUDGET };
    const [thumbnail] = await renderThumbnails(bytes, parseBoundingBoxes('40x40'), options);
    expect(thumbnail).toMatchObject({ width: 27, height: 40 });
    // libvips applies irot/imir when it decodes.
    const expected = await referenceRgba(bytes, (image) => image.resize(27, 40, { fit: 'fill' }));
    expect(meanAbsoluteDifference(await referenceRgba(thumbnail!.body), expected)).toBeLessThan(3);
  });

  it('renders thumbnails of the planned sizes, as close to libvips as the full-size path', async () => {
    const bytes = await avif(await sharp(SOURCE).resize(480, 320).toBuffer(), {});
    const boxes = parseBoundingBoxes('100x100,50x50');
    const options = { outputFormat: 'png' as const, quality: 80, budget: BUDGET };
    const rendered = await renderThumbnails(bytes, boxes, options);
    expect(rendered.map(({ width, height }) => `${width}x${height}`)).toEqual(['100x67', '50x33']);
    for (const thumbnail of rendered) {
      const actual = await referenceRgba(thumbnail.body);
      const expected = await referenceRgba(bytes, (image) => image.resize(thumbnail.width, thumbnail.height));
      expect(meanAbsoluteDifference(actual, expected)).toBeLessThan(2);
    }
  });
});

describe('shrinkI420ToRgba', () => {
  it('converts full-range BT.601 grey, white, black and a red as the formulas say', () => {
    // 4x2 luma, 2x1 chroma; factor 2 -> 2x1 pixels.
    const y = Uint8Array.from([128, 128, 255, 255, 128, 128, 255, 255]);
    const frame = { width: 4, height: 2, y, u: Uint8Array.from([128, 128]), v: Uint8Array.from([128, 255]) };
    const { data, width, height } = shrinkI420ToRgba(frame, 2, { kr: 0.299, kb: 0.114, fullRange: true });
    expect({ width, height }).toEqual({ width: 2, height: 1 });
    expect([...data.subarray(0, 4)]).toEqual([128, 128, 128, 255]);
    // Y 255, Cr +127: R clipped at 255, G = 255 - 0.714 * 127 (rounded), B 255.
    expect([...data.subarray(4, 8)]).toEqual([255, Math.round(255 - ((2 * 0.299 * 0.701) / 0.587) * 127), 255, 255]);
  });

  it.each([
    [2, 12, 8, true],
    [2, 12, 8, false],
    [4, 10, 6, true],
    [6, 14, 10, false],
  ])(
    'matches the formulas applied to block averages (factor %i, %ix%i, full range %s)',
    (factor, width, height, fullRange) => {
      let seed = 7;
      const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
      const plane = (length: number) => Uint8Array.from({ length }, random);
      const frame = {
        width,
        height,
        y: plane(width * height),
        u: plane((width / 2) * (height / 2)),
        v: plane((width / 2) * (height / 2)),
      };
      const [kr, kb] = [0.2126, 0.0722];
      const actual = shrinkI420ToRgba(frame, factor, { kr, kb, fullRange });
      const outWidth = Math.ceil(width / factor);
      const outHeight = Math.ceil(height / factor);
      expect(actual).toMatchObject({ width: outWidth, height: outHeight });
      const mean = (samples: Uint8Array, stride: number, x0: number, y0: number, x1: number, y1: number) => {
        let sum = 0;
        for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) sum += samples[y * stride + x]!;
        return sum / ((x1 - x0) * (y1 - y0));
      };
      const clip = (value: number) => Math.min(255, Math.max(0, Math.round(value * 255)));
      let worst = 0;
      for (let oy = 0; oy < outHeight; oy++) {
        for (let ox = 0; ox < outWidth; ox++) {
          const [x0, y0] = [ox * factor, oy * factor];
          const [x1, y1] = [Math.min(x0 + factor, width), Math.min(y0 + factor, height)];
          const luma = mean(frame.y, width, x0, y0, x1, y1);
          const cb = mean(frame.u, width / 2, x0 / 2, y0 / 2, x1 / 2, y1 / 2);
          const cr = mean(frame.v, width / 2, x0 / 2, y0 / 2, x1 / 2, y1 / 2);
          const yn = fullRange ? luma / 255 : (luma - 16) / 219;
          const [u, v] = [(cb - 128) / (fullRange ? 255 : 224), (cr - 128) / (fullRange ? 255 : 224)];
          const r = yn + 2 * (1 - kr) * v;
          const b = yn + 2 * (1 - kb) * u;
          const g = yn - (2 * (kr * (1 - kr) * v + kb * (1 - kb) * u)) / (1 - kr - kb);
          const at = (oy * outWidth + ox) * 4;
          for (const [channel, value] of [clip(r), clip(g), clip(b), 255].entries()) {
            worst = Math.max(worst, Math.abs(actual.data[at + channel]! - value));
          }
        }
      }
      // Rounding of exact halves may differ (the output rounds half to even).
      expect(worst).toBeLessThanOrEqual(1);
    },
  );

  it('at full size, upsamples chroma bilinearly (3/4 near, 1/4 far, edges repeated)', () => {
    // 4x2 luma of 128; chroma 2x1: Cr 128 then 178 (+50).
    const frame = {
      width: 4,
      height: 2,
      y: new Uint8Array(8).fill(128),
      u: Uint8Array.from([128, 128]),
      v: Uint8Array.from([128, 178]),
    };
    const { data, width, height } = convertI420ToRgba(frame, { kr: 0.299, kb: 0.114, fullRange: true });
    expect({ width, height }).toEqual({ width: 4, height: 2 });
    const red = (cr: number) => Math.round(128 + 2 * (1 - 0.299) * cr);
    const reds = [0, 1, 2, 3].map((x) => data[x * 4]);
    expect(reds).toEqual([red(0), red(12.5), red(37.5), red(50)]);
    // Both rows alike (one chroma row, repeated at the edges).
    expect([...data.subarray(16, 32)]).toEqual([...data.subarray(0, 16)]);
  });

  it('maps limited-range 16 and 235 to 0 and 255', () => {
    const frame = {
      width: 4,
      height: 2,
      y: Uint8Array.from([16, 16, 235, 235, 16, 16, 235, 235]),
      u: Uint8Array.from([128, 128]),
      v: Uint8Array.from([128, 128]),
    };
    const { data } = shrinkI420ToRgba(frame, 2, { kr: 0.2126, kb: 0.0722, fullRange: false });
    expect([...data]).toEqual([0, 0, 0, 255, 255, 255, 255, 255]);
  });
});
