import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { convertToSrgb } from '../../../src/images/colour';
import { adobeRgbProfile, meanAbsoluteDifference, saturatedSrgb } from '../../support/colour-images';

const width = 256;
const height = 128;
const raw = { raw: { width, height, channels: 3 as const } };

/** A PNG whose pixels sharp converted into `profile` (and tagged with it), its stored pixels and sharp's sRGB decode. */
async function tagged(profile: string) {
  const png = await sharp(saturatedSrgb(width, height), raw).withIccProfile(profile).png().toBuffer();
  const iccProfile = new Uint8Array((await sharp(png).metadata()).icc!);
  const stored = await sharp(png, { ignoreIcc: true }).ensureAlpha().raw().toBuffer();
  const reference = await sharp(png).toColourspace('srgb').ensureAlpha().raw().toBuffer();
  return { iccProfile, stored, reference };
}

function adobeRgbProfilePath(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'colour-')), 'adobe-rgb.icc');
  writeFileSync(path, adobeRgbProfile());
  return path;
}

describe('convertToSrgb', () => {
  it.each([
    ['Display P3', 'p3'],
    ['Adobe RGB (1998)', adobeRgbProfilePath()],
  ])('converts %s pixels to what sharp makes of them (mean difference <= 3 per channel)', async (_name, profile) => {
    const { iccProfile, stored, reference } = await tagged(profile);
    // The conversion matters for these colours: left alone, they are clearly off.
    expect(Math.max(...meanAbsoluteDifference(stored, 4, reference, 4))).toBeGreaterThan(8);

    const converted = await convertToSrgb({ data: Buffer.from(stored), width, height }, iccProfile);

    const difference = meanAbsoluteDifference(converted.data, 4, reference, 4);
    for (const channel of difference) expect(channel).toBeLessThanOrEqual(3);
  });

  it('leaves alpha untouched and works in place', async () => {
    const { iccProfile, stored } = await tagged('p3');
    for (let i = 3; i < stored.length; i += 4) stored[i] = i % 251;
    const alpha = stored.filter((_, i) => i % 4 === 3);
    const bitmap = { data: stored, width, height };

    const converted = await convertToSrgb(bitmap, iccProfile);

    expect(converted.data).toBe(stored);
    expect(Buffer.from(converted.data.filter((_, i) => i % 4 === 3))).toEqual(Buffer.from(alpha));
  });

  it('returns an sRGB-tagged bitmap unchanged, found by testing colours, not by name', async () => {
    const { iccProfile, stored } = await tagged('srgb');
    // Renamed: the description no longer says sRGB; the colours still are.
    const renamed = Buffer.from(iccProfile);
    const at = renamed.indexOf('sRGB');
    if (at >= 0) renamed.write('xxxx', at, 'latin1');
    const before = Buffer.from(stored);

    for (const profile of [iccProfile, new Uint8Array(renamed)]) {
      const converted = await convertToSrgb({ data: stored, width, height }, profile);
      expect(Buffer.compare(converted.data, before)).toBe(0);
    }
  });

  it('runs no transform over the pixels of an sRGB-tagged image, and one over a P3 image, made once', async () => {
    const srgb = await tagged('srgb');
    const p3 = await tagged('p3');
    const transformed: number[] = [];
    let created = 0;

    await jest.isolateModulesAsync(async () => {
      // LittleCMS itself, with its pixel conversions counted.
      jest.doMock('lcms-wasm', () => {
        const actual = jest.requireActual('lcms-wasm');
        return {
          ...actual,
          instantiate: async (options: object) => {
            const lcms = await actual.instantiate(options);
            const ccall = lcms.ccall.bind(lcms);
            const create = lcms.cmsCreateTransform.bind(lcms);
            lcms.cmsCreateTransform = (...args: number[]) => {
              created += 1;
              return create(...args);
            };
            lcms.ccall = (name: string, returns: unknown, types: unknown, args: number[]) => {
              if (name === 'cmsDoTransform') transformed.push(args[3]!);
              return ccall(name, returns, types, args);
            };
            return lcms;
          },
        };
      });
      const isolated = await import('../../../src/images/colour');

      await isolated.convertToSrgb({ data: srgb.stored, width, height }, srgb.iccProfile);
      await isolated.convertToSrgb({ data: srgb.stored, width, height }, srgb.iccProfile);
      expect(transformed.filter((pixels) => pixels === width * height)).toEqual([]);

      await isolated.convertToSrgb({ data: p3.stored, width, height }, p3.iccProfile);
      expect(transformed.filter((pixels) => pixels === width * height)).toEqual([width * height]);
      // One transform per profile: the second image with the same profile reuses it.
      expect(created).toBe(2);
      await isolated.convertToSrgb({ data: Buffer.from(p3.stored), width, height }, new Uint8Array(p3.iccProfile));
      expect(created).toBe(2);
      expect(transformed.filter((pixels) => pixels === width * height)).toHaveLength(2);
    });
  });

  it('converts a grey profile, reading grey from R and writing R = G = B', async () => {
    // A grey profile with gamma 1.0: a linear grey of 50% is sRGB 188.
    const rgb = adobeRgbProfile();
    const grey = greyProfileFrom(rgb, 1);
    const data = Buffer.from([128, 128, 128, 7]);

    const converted = await convertToSrgb({ data, width: 1, height: 1 }, grey);

    expect([...converted.data]).toEqual([188, 188, 188, 7]);
  });

  it('keeps converting correctly while transforms for many profiles come and go from the cache', async () => {
    const pixel = () => Buffer.from([200, 40, 90, 255]);
    const convert = async (gamma: number) => [
      ...(await convertToSrgb({ data: pixel(), width: 1, height: 1 }, adobeRgbProfile(gamma))).data,
    ];
    const first = await convert(1.8);

    // More distinct profiles than the cache holds: the first one's transform is dropped and made again.
    const others = [];
    for (let k = 1; k <= 12; k++) others.push(await convert(1.8 + k * 0.05));

    expect(await convert(1.8)).toEqual(first);
    expect(new Set(others.map(String)).size).toBeGreaterThan(1);
    expect(first).not.toEqual([200, 40, 90, 255]);
  });

  it.each([
    ['empty', new Uint8Array()],
    ['garbage', new Uint8Array(600).fill(0x41)],
    ['truncated', new Uint8Array(adobeRgbProfile().subarray(0, 300))],
    ['a CMYK profile on RGB pixels', undefined],
  ])('takes the pixels as sRGB when the profile is unusable (%s)', async (_name, bytes) => {
    const profile =
      bytes ??
      new Uint8Array(
        (
          await sharp(
            await sharp(saturatedSrgb(8, 8), { raw: { width: 8, height: 8, channels: 3 } })
              .toColourspace('cmyk')
              .withIccProfile('cmyk')
              .jpeg()
              .toBuffer(),
          ).metadata()
        ).icc!,
      );
    const data = Buffer.from([10, 200, 30, 255, 250, 20, 90, 128]);
    const before = Buffer.from(data);

    const converted = await convertToSrgb({ data, width: 2, height: 1 }, profile);

    expect(converted.data.equals(before)).toBe(true);
  });
});

/**
 * A grey display profile (kTRC gamma `gamma`, D50 white) built from the test Adobe RGB profile's header
 * and text tags: the smallest honest grey profile LittleCMS accepts.
 */
function greyProfileFrom(rgb: Buffer, gamma: number): Uint8Array {
  const tagCount = rgb.readUInt32BE(128);
  const tags = new Map<string, Buffer>();
  for (let k = 0; k < tagCount; k++) {
    const entry = 132 + k * 12;
    const offset = rgb.readUInt32BE(entry + 4);
    tags.set(rgb.toString('latin1', entry, entry + 4), rgb.subarray(offset, offset + rgb.readUInt32BE(entry + 8)));
  }
  const curve = Buffer.from([...Buffer.from('curv\0\0\0\0', 'latin1'), 0, 0, 0, 1, gamma, 0, 0, 0]);
  const chosen: [string, Buffer][] = [
    ['desc', tags.get('desc')!],
    ['cprt', tags.get('cprt')!],
    ['wtpt', tags.get('wtpt')!],
    ['kTRC', curve],
  ];
  const pad = (b: Buffer) => Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);
  const table = Buffer.alloc(4 + chosen.length * 12);
  table.writeUInt32BE(chosen.length, 0);
  let offset = 128 + table.length;
  const bodies = chosen.map(([signature, body], k) => {
    table.write(signature, 4 + k * 12, 'latin1');
    table.writeUInt32BE(offset, 8 + k * 12);
    table.writeUInt32BE(body.length, 12 + k * 12);
    offset += pad(body).length;
    return pad(body);
  });
  const header = Buffer.from(rgb.subarray(0, 128));
  header.writeUInt32BE(offset, 0);
  header.write('GRAY', 16, 'latin1');
  return new Uint8Array(Buffer.concat([header, table, ...bodies]));
}
