import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Jimp, JimpMime } from 'jimp';
import sharp from 'sharp';
import { fitInside, type Dimensions } from '../../src/thumbnail/sizes';
import { eventually } from '../support/eventually';
import { fixtures } from '../support/fixtures';
import { gifFrameOutsideScreen, pngInflationBomb, scanFloodJpeg } from '../support/hostile-images';
import { photoLikePixels } from '../support/sample-images';
import { download, listKeys, upload, waitForThumbnails, type Stack } from '../support/stack';
import { deadLettersFor } from './support/dead-letters';
import { functionLogLines } from './support/logs';
import { useTestPrefix } from './support/test-prefix';

jest.setTimeout(240_000);

const fixture = (name: string) => readFileSync(join(__dirname, '..', 'fixtures', 'images', name));

function photo(width: number, height: number, alpha = false) {
  const image = sharp(photoLikePixels(width, height, 11, alpha), { raw: { width, height, channels: 4 } });
  return alpha ? image : image.removeAlpha();
}

interface Upload {
  readonly body: Buffer;
  /** Displayed (upright) size of the source. */
  readonly size: Dimensions;
  readonly extension: 'jpg' | 'png';
}

describe('uploading images in every supported format', () => {
  const scope = useTestPrefix('formats');
  const { prefix } = scope;
  let stack: Stack;

  beforeAll(() => {
    stack = scope.stack;
  });

  it('gives WebP, AVIF, HEIC, GIF, BMP, TIFF, 16-bit PNG, CMYK and Display P3 uploads every thumbnail, upright and sRGB', async () => {
    const uploads: Record<string, Upload> = {
      'lossy.webp': {
        body: await photo(400, 300).webp().toBuffer(),
        size: { width: 400, height: 300 },
        extension: 'jpg',
      },
      'lossless alpha.webp': {
        body: await photo(400, 300, true).webp({ lossless: true }).toBuffer(),
        size: { width: 400, height: 300 },
        extension: 'png',
      },
      'photo.avif': {
        body: await photo(400, 300).avif().toBuffer(),
        size: { width: 400, height: 300 },
        extension: 'jpg',
      },
      'iphone.heic': { body: fixture('photo-8bit.heic'), size: { width: 96, height: 64 }, extension: 'jpg' },
      'portrait.heic': { body: fixture('rotated-o6.heic'), size: { width: 64, height: 96 }, extension: 'jpg' },
      'ten bit.heic': { body: fixture('photo-10bit.heic'), size: { width: 96, height: 64 }, extension: 'jpg' },
      'animated.gif': { body: await fixtures.animatedGif(), size: { width: 400, height: 300 }, extension: 'jpg' },
      'paint.bmp': {
        body: await new Jimp({ width: 200, height: 100, color: 0x336699ff }).getBuffer(JimpMime.bmp),
        size: { width: 200, height: 100 },
        extension: 'jpg',
      },
      'scan.tiff': { body: await fixtures.tiff(), size: { width: 400, height: 300 }, extension: 'jpg' },
      'deep.png': { body: await fixtures.png16(), size: { width: 400, height: 300 }, extension: 'jpg' },
      'print.jpg': { body: await fixtures.cmykJpeg(), size: { width: 400, height: 300 }, extension: 'jpg' },
      'wide gamut.jpg': {
        body: await photo(400, 300).withIccProfile('p3').jpeg().toBuffer(),
        size: { width: 400, height: 300 },
        extension: 'jpg',
      },
    };
    await Promise.all(
      Object.entries(uploads).map(([name, { body }]) => upload(stack.imagesBucket, `${prefix}/${name}`, body)),
    );

    for (const [name, { size, extension }] of Object.entries(uploads)) {
      const key = `${prefix}/${name}`;
      const expected = stack.sizes.map((box) => `${key}/${box.label}.${extension}`).sort();
      expect(await waitForThumbnails(stack, key)).toEqual(expected);
      for (const box of stack.sizes) {
        const thumbnail = await download(stack.thumbnailsBucket, `${key}/${box.label}.${extension}`);
        const metadata = await sharp(thumbnail.body).metadata();
        expect({ name, box: box.label, width: metadata.width, height: metadata.height }).toEqual({
          name,
          box: box.label,
          ...fitInside(size, box),
        });
        expect(thumbnail.contentType).toBe(extension === 'jpg' ? 'image/jpeg' : 'image/png');
      }
    }
  });

  it('dead-letters hostile files with their code, while the good images uploaded with them get thumbnails on their first receive', async () => {
    const hostile: Record<string, [Buffer, string]> = {
      [`${prefix}/flood.jpg`]: [await scanFloodJpeg(200), 'too-many-scans'],
      [`${prefix}/inflates.png`]: [pngInflationBomb(64 * 2 ** 20), 'inflated-size-exceeded'],
      [`${prefix}/tiny screen.gif`]: [gifFrameOutsideScreen(), 'frame-outside-canvas'],
    };
    const good = [`${prefix}/good-1.jpg`, `${prefix}/good-2.webp`, `${prefix}/good-3.png`];
    const goodBodies = [
      await photo(640, 480).jpeg().toBuffer(),
      await photo(640, 480).webp().toBuffer(),
      await photo(640, 480, true).png().toBuffer(),
    ];
    await Promise.all([
      ...Object.entries(hostile).map(([key, [body]]) => upload(stack.imagesBucket, key, body)),
      ...good.map((key, i) => upload(stack.imagesBucket, key, goodBodies[i]!)),
    ]);

    for (const key of good) expect(await waitForThumbnails(stack, key)).toHaveLength(stack.sizes.length);
    const codes = await eventually('a dead letter for every hostile file', async () => {
      const found = await deadLettersFor(stack, `${prefix}/`);
      const byKey = Object.fromEntries(found.flatMap(({ keys, attributes }) => keys.map((key) => [key, attributes])));
      return Object.keys(hostile).every((key) => byKey[key]) ? byKey : undefined;
    });
    for (const [key, [, code]] of Object.entries(hostile)) {
      expect({ key, code: codes[key]!['failure-code'] }).toEqual({ key, code });
      expect(await listKeys(stack.thumbnailsBucket, `${key}/`)).toEqual([]);
    }
    // First receive: each good image was processed once, never failed and retried.
    for (const key of good) {
      const lines = await eventually(`the log line of ${key}`, async () => {
        const found = (await functionLogLines('thumbnail', key)).filter((line) => line.key === key);
        return found.length > 0 ? found : undefined;
      });
      expect({ key, outcomes: lines.map((line) => line.outcome) }).toEqual({ key, outcomes: ['success'] });
    }
  });
});
