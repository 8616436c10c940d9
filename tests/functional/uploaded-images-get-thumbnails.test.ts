import { fitInside } from '../../src/thumbnail/sizes';
import { decode, makeJpeg, makePngWithAlpha, pixelAt } from '../support/sample-images';
import { download, upload, type Stack, waitForThumbnails } from '../support/stack';
import { useTestPrefix } from './support/test-prefix';

jest.setTimeout(180_000);

describe('uploading images to the images bucket', () => {
  const scope = useTestPrefix('uploads');
  const { prefix } = scope;
  let stack: Stack;

  beforeAll(async () => {
    stack = scope.stack;
  });

  it('gives a JPEG, a transparent PNG, a key with spaces and non-ASCII characters and an upper-case .JPG every configured thumbnail', async () => {
    const uploads = [
      { key: `${prefix}/photo.jpg`, body: await makeJpeg(1600, 1000), width: 1600, height: 1000, type: 'image/jpeg' },
      { key: `${prefix}/logo.png`, body: await makePngWithAlpha(300, 200), width: 300, height: 200, type: 'image/png' },
      {
        key: `${prefix}/my holidays/été 写真 +1.jpg`,
        body: await makeJpeg(500, 800),
        width: 500,
        height: 800,
        type: 'image/jpeg',
      },
      { key: `${prefix}/CAMERA.JPG`, body: await makeJpeg(640, 480), width: 640, height: 480, type: 'image/jpeg' },
    ];
    await Promise.all(uploads.map(({ key, body }) => upload(stack.imagesBucket, key, body)));

    for (const source of uploads) {
      const extension = source.type === 'image/png' ? 'png' : 'jpg';
      const expectedKeys = stack.sizes.map((box) => `${source.key}/${box.label}.${extension}`).sort();
      expect(await waitForThumbnails(stack, source.key)).toEqual(expectedKeys);

      for (const box of stack.sizes) {
        const thumbnail = await download(stack.thumbnailsBucket, `${source.key}/${box.label}.${extension}`);
        expect(thumbnail.contentType).toBe(source.type);
        const image = await decode(thumbnail.body);
        const expected = fitInside(source, box);
        expect({ key: source.key, box: box.label, width: image.bitmap.width, height: image.bitmap.height }).toEqual({
          key: source.key,
          box: box.label,
          ...expected,
        });
        if (source.type === 'image/png') expect(pixelAt(image, image.bitmap.width - 1, 0).a).toBe(0);
      }
    }
  });
});
