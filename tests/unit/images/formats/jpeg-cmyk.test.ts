import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { ImageTooLargeError, UnreadableImageError } from '../../../../src/errors';
import { decodeCmykJpeg } from '../../../../src/images/formats/jpeg-cmyk';
import {
  adobeTransformOf,
  meanAbsoluteDifference,
  saturatedSrgb,
  withAdobeTransform,
} from '../../../support/colour-images';

const width = 256;
const height = 128;
const maxBytes = 64 * 2 ** 20;

/**
 * A CMYK JPEG as sharp writes it: Adobe APP14 (transform 0), inverted samples, libvips' CMYK profile
 * (or `profile`, a file) embedded.
 */
async function cmykJpeg(options: { progressive?: boolean; profile?: string } = {}) {
  const jpeg = await sharp(saturatedSrgb(width, height), { raw: { width, height, channels: 3 } })
    .toColourspace('cmyk')
    .withIccProfile(options.profile ?? 'cmyk')
    .jpeg({ quality: 95, progressive: options.progressive ?? false })
    .toBuffer();
  return { jpeg, iccProfile: new Uint8Array((await sharp(jpeg).metadata()).icc!) };
}

/** libvips' CMYK profile (ICC v2) relabelled v4: LittleCMS then takes its black point from the v4 rules. */
async function v4CmykProfileFile(): Promise<string> {
  const profile = Buffer.from((await cmykJpeg()).iccProfile);
  profile.writeUInt32BE(0x04200000, 8);
  const path = join(mkdtempSync(join(tmpdir(), 'cmyk-')), 'cmyk-v4.icc');
  writeFileSync(path, profile);
  return path;
}

const largestDifference = (bitmap: Uint8Array, reference: Uint8Array): number =>
  bitmap.reduce((largest, value, i) => (i % 4 === 3 ? largest : Math.max(largest, Math.abs(value - reference[i]!))), 0);

const sharpSrgb = (jpeg: Buffer) => sharp(jpeg).toColourspace('srgb').ensureAlpha().raw().toBuffer();

describe('decodeCmykJpeg', () => {
  // Within 3 on every channel (0.01 measured). Compensating the profile's black point as a neutral
  // grey, as LittleCMS 2.16 does, leaves blue 4.3 off; a decoder that skipped the profile, the
  // inversion or YCCK is off by 8 to 136.
  const limit = 3;

  it.each([
    ['Adobe CMYK (APP14 transform 0, inverted)', (jpeg: Buffer) => jpeg],
    ['YCCK (APP14 transform 2)', (jpeg: Buffer) => withAdobeTransform(jpeg, 2)],
    ['CMYK without an Adobe marker', (jpeg: Buffer) => withAdobeTransform(jpeg, undefined)],
  ])('decodes %s to the ink values sharp reads', async (_name, variant) => {
    const jpeg = variant((await cmykJpeg()).jpeg);
    // sharp's CMYK samples (ink, 0 none), turned into RGB by the uncalibrated rule decodeCmykJpeg uses
    // without a profile: compares the decoding alone, whatever the colour engine.
    const ink = await sharp(jpeg).pipelineColourspace('cmyk').toColourspace('cmyk').raw().toBuffer();
    const expected = Buffer.alloc((ink.length / 4) * 3);
    for (let i = 0, o = 0; i < ink.length; i += 4, o += 3) {
      for (let c = 0; c < 3; c++) expected[o + c] = Math.round(((255 - ink[i + c]!) * (255 - ink[i + 3]!)) / 255);
    }

    const bitmap = await decodeCmykJpeg(jpeg, { adobeTransform: adobeTransformOf(jpeg), maxBytes });

    expect([bitmap.width, bitmap.height]).toEqual([width, height]);
    for (const channel of meanAbsoluteDifference(bitmap.data, 4, expected, 3)) expect(channel).toBeLessThanOrEqual(1);
    expect(bitmap.data.filter((_, i) => i % 4 === 3).every((alpha) => alpha === 255)).toBe(true);
  });

  it.each([
    ['an ICC v2 profile (black point from full ink, hue kept)', async () => undefined],
    ['an ICC v4 profile (black point of the perceptual reference medium)', v4CmykProfileFile],
  ])('converts with %s to what sharp makes of the file', async (_name, profile) => {
    const { jpeg, iccProfile } = await cmykJpeg({ profile: await profile() });
    const reference = await sharpSrgb(jpeg);

    const bitmap = await decodeCmykJpeg(jpeg, { iccProfile, adobeTransform: 0, maxBytes });

    for (const channel of meanAbsoluteDifference(bitmap.data, 4, reference, 4))
      expect(channel).toBeLessThanOrEqual(limit);
    // Every pixel, dark ones included (1 measured; 13 at black with the wrong black point).
    expect(largestDifference(bitmap.data, reference)).toBeLessThanOrEqual(3);
  });

  it('applies the embedded profile: without it the colours are clearly off', async () => {
    const { jpeg } = await cmykJpeg();
    const reference = await sharpSrgb(jpeg);

    const uncalibrated = await decodeCmykJpeg(jpeg, { adobeTransform: 0, maxBytes });

    expect(Math.max(...meanAbsoluteDifference(uncalibrated.data, 4, reference, 4))).toBeGreaterThan(8);
  });

  it('reads YCCK as YCCK: the same samples read as CMYK are far off', async () => {
    const { jpeg, iccProfile } = await cmykJpeg();
    const ycck = withAdobeTransform(jpeg, 2);

    const asYcck = await decodeCmykJpeg(ycck, { iccProfile, adobeTransform: 2, maxBytes });
    const asCmyk = await decodeCmykJpeg(jpeg, { iccProfile, adobeTransform: 0, maxBytes });

    expect(Math.max(...meanAbsoluteDifference(asYcck.data, 4, asCmyk.data, 4))).toBeGreaterThan(30);
  });

  it('decodes a progressive CMYK JPEG', async () => {
    const { jpeg, iccProfile } = await cmykJpeg({ progressive: true });
    const reference = await sharpSrgb(jpeg);

    const bitmap = await decodeCmykJpeg(jpeg, { iccProfile, adobeTransform: 0, maxBytes });

    for (const channel of meanAbsoluteDifference(bitmap.data, 4, reference, 4))
      expect(channel).toBeLessThanOrEqual(limit);
  });

  it('loads LittleCMS only for a file with a profile', async () => {
    const { jpeg, iccProfile } = await cmykJpeg();
    const loaded = jest.fn();

    await jest.isolateModulesAsync(async () => {
      jest.doMock('lcms-wasm', () => {
        loaded();
        return jest.requireActual('lcms-wasm');
      });
      const isolated = await import('../../../../src/images/formats/jpeg-cmyk');

      await isolated.decodeCmykJpeg(jpeg, { adobeTransform: 0, maxBytes });
      expect(loaded).not.toHaveBeenCalled();

      await isolated.decodeCmykJpeg(jpeg, { iccProfile, adobeTransform: 0, maxBytes });
      expect(loaded).toHaveBeenCalledTimes(1);
    });
  });

  it('refuses before decoding when the decode would need more than maxBytes', async () => {
    const { jpeg, iccProfile } = await cmykJpeg();
    // File copy + CMYK output + its copy: about 8 bytes a pixel.
    const needed = jpeg.length + width * height * 8;

    await expect(decodeCmykJpeg(jpeg, { iccProfile, maxBytes: needed - 1 })).rejects.toThrow(ImageTooLargeError);
    await expect(decodeCmykJpeg(jpeg, { iccProfile, maxBytes: needed })).resolves.toBeDefined();
  });

  it('counts the coefficients a progressive file holds', async () => {
    const { jpeg, iccProfile } = await cmykJpeg({ progressive: true });
    const withoutCoefficients = jpeg.length + width * height * 8;

    await expect(decodeCmykJpeg(jpeg, { iccProfile, maxBytes: withoutCoefficients })).rejects.toMatchObject({
      code: 'over-memory-budget',
    });
    // Four full-resolution components (sharp writes CMYK unsubsampled), 2 bytes each: the decode
    // layer's estimate for this file, which must be enough.
    await expect(
      decodeCmykJpeg(jpeg, { iccProfile, maxBytes: withoutCoefficients + width * height * 4 * 2 }),
    ).resolves.toMatchObject({ width, height });
  });

  it('refuses a truncated file as corrupt instead of padding it with grey', async () => {
    const { jpeg, iccProfile } = await cmykJpeg();

    const decoding = decodeCmykJpeg(jpeg.subarray(0, Math.floor(jpeg.length * 0.7)), { iccProfile, maxBytes });

    await expect(decoding).rejects.toThrow(UnreadableImageError);
    await expect(decoding).rejects.toMatchObject({ code: 'corrupt-image' });
  });

  it('refuses data libjpeg cannot read as corrupt, and decodes the next file normally', async () => {
    const { jpeg, iccProfile } = await cmykJpeg();
    const broken = Buffer.from(jpeg);
    // Overwrite the start of the entropy-coded data after the last DHT with an undefined marker.
    const sos = broken.lastIndexOf(Buffer.from([0xff, 0xda]));
    broken.writeUInt16BE(0xffc8, sos);

    await expect(decodeCmykJpeg(broken, { iccProfile, maxBytes })).rejects.toMatchObject({ code: 'corrupt-image' });
    await expect(decodeCmykJpeg(jpeg, { iccProfile, maxBytes })).resolves.toMatchObject({ width, height });
  });
});
