import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { fitInside } from '../../src/thumbnail/sizes';
import { makeJpeg } from '../support/sample-images';
import { s3, upload, type Stack } from '../support/stack';
import { useThumbnailEventCapture } from './support/event-capture';
import { useTestPrefix } from './support/test-prefix';

jest.setTimeout(180_000);

describe('a subscriber to the thumbnail events on the EventBridge bus', () => {
  const scope = useTestPrefix('events');
  const { prefix } = scope;
  let stack: Stack;
  beforeAll(() => {
    stack = scope.stack;
  });
  const { eventsFor: eventFor } = useThumbnailEventCapture(prefix);

  it('is told "Thumbnails Created" for an upload, naming every thumbnail as it is in the thumbnails bucket', async () => {
    const key = `${prefix}/photo.jpg`;
    await upload(stack.imagesBucket, key, await makeJpeg(800, 600));

    const [event, ...repeats] = await eventFor(key, 'Thumbnails Created');

    expect(repeats).toEqual([]);
    const source = await s3.send(new HeadObjectCommand({ Bucket: stack.imagesBucket, Key: key }));
    expect(event).toMatchObject({
      source: 'thumbnails',
      detail: { bucket: stack.imagesBucket, key, eTag: source.ETag!.replace(/"/g, ''), durationMs: expect.any(Number) },
    });
    const thumbnails = event!.detail.thumbnails as {
      bucket: string;
      key: string;
      width: number;
      height: number;
      bytes: number;
      contentType: string;
    }[];
    expect(thumbnails.map(({ key: thumbnailKey }) => thumbnailKey)).toEqual(
      stack.sizes.map((box) => `${key}/${box.label}.jpg`),
    );
    for (const [i, box] of stack.sizes.entries()) {
      const thumbnail = thumbnails[i]!;
      const stored = await s3.send(new HeadObjectCommand({ Bucket: thumbnail.bucket, Key: thumbnail.key }));
      expect(thumbnail).toEqual({
        bucket: stack.thumbnailsBucket,
        key: thumbnail.key,
        ...fitInside({ width: 800, height: 600 }, box),
        bytes: stored.ContentLength,
        contentType: stored.ContentType,
      });
    }
  });

  it('is told "Thumbnails Failed", with the code and reason, for a corrupt upload that is dead-lettered', async () => {
    const key = `${prefix}/broken.jpg`;
    await upload(stack.imagesBucket, key, (await makeJpeg(400, 300)).subarray(0, 1024));

    const [event] = await eventFor(key, 'Thumbnails Failed');

    expect(event!.detail).toEqual({
      bucket: stack.imagesBucket,
      key,
      eTag: expect.any(String),
      failureCode: 'corrupt-image',
      reason: expect.stringMatching(/^UnreadableImageError: the jpeg data cannot be decoded/),
      messageId: expect.any(String),
    });
  });
});
