import path from 'node:path';
import sharp from 'sharp';
import { encodeAvif } from '../../../../src/images/encoders/avif';
import { encodeWebp } from '../../../../src/images/encoders/webp';
import { meanAbsoluteDifference, referenceRgba } from '../../../support/rgba-diff';

const FIXTURES = path.join(__dirname, '../../../fixtures/images');

// The WebP and AVIF thumbnail encoders make the same promises; libvips reads each back.
describe.each([
  { name: 'encodeWebp', encode: encodeWebp, metadata: { format: 'webp' } },
  { name: 'encodeAvif', encode: encodeAvif, metadata: { format: 'heif', compression: 'av1' } },
])('$name', ({ encode, metadata }) => {
  it('writes an image libvips reads back close to the pixels, alpha kept', async () => {
    const source = await referenceRgba(path.join(FIXTURES, 'source-rgba.png'));
    const encoded = await encode(source, 90);
    expect(await sharp(encoded).metadata()).toMatchObject({ ...metadata, width: 96, height: 64, hasAlpha: true });
    expect(meanAbsoluteDifference(await referenceRgba(encoded), source)).toBeLessThan(3);
  });

  it('writes an opaque image without alpha', async () => {
    const source = await referenceRgba(path.join(FIXTURES, 'source.png'));
    expect((await sharp(await encode(source, 80)).metadata()).hasAlpha).toBe(false);
  });

  it('follows the quality setting', async () => {
    const source = await referenceRgba(path.join(FIXTURES, 'source.png'));
    const low = await encode(source, 20);
    const high = await encode(source, 95);
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
    expect(meanAbsoluteDifference(await referenceRgba(await encode(view, 90)), source)).toBeLessThan(3);
  });
});
