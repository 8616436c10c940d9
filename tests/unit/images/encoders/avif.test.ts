import path from 'node:path';
import sharp from 'sharp';
import { encodeAvif } from '../../../../src/images/encoders/avif';
import { meanAbsoluteDifference, referenceRgba } from '../../../support/rgba-diff';

const FIXTURES = path.join(__dirname, '../../../fixtures/images');

describe('encodeAvif', () => {
  it('writes an AVIF libvips reads back close to the pixels, alpha kept', async () => {
    const source = await referenceRgba(path.join(FIXTURES, 'source-rgba.png'));
    const avif = await encodeAvif(source, 90);
    const metadata = await sharp(avif).metadata();
    expect(metadata).toMatchObject({ format: 'heif', compression: 'av1', width: 96, height: 64, hasAlpha: true });
    expect(meanAbsoluteDifference(await referenceRgba(avif), source)).toBeLessThan(3);
  });

  it('writes an opaque image without alpha', async () => {
    const source = await referenceRgba(path.join(FIXTURES, 'source.png'));
    expect((await sharp(await encodeAvif(source, 80)).metadata()).hasAlpha).toBe(false);
  });

  it('follows the quality setting', async () => {
    const source = await referenceRgba(path.join(FIXTURES, 'source.png'));
    const low = await encodeAvif(source, 20);
    const high = await encodeAvif(source, 95);
    expect(low.length).toBeLessThan(high.length);
    expect(meanAbsoluteDifference(await referenceRgba(high), source)).toBeLessThan(
      meanAbsoluteDifference(await referenceRgba(low), source),
    );
  });

  it('reads only the bitmap’s own bytes when they are a view into a larger buffer', async () => {
    const source = await referenceRgba(path.join(FIXTURES, 'source.png'));
    const pool = Buffer.alloc(source.data.length + 1000, 0xff);
    source.data.copy(pool, 1000);
    const view = { data: pool.subarray(1000), width: source.width, height: source.height };
    expect(meanAbsoluteDifference(await referenceRgba(await encodeAvif(view, 90)), source)).toBeLessThan(3);
  });
});
