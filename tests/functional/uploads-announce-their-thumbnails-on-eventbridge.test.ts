import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { fitInside } from '../../src/thumbnail/sizes';
import { eventually } from '../support/eventually';
import { makeJpeg } from '../support/sample-images';
import { s3, upload, type Stack } from '../support/stack';
import { captureThumbnailEvents, type DeliveredEvent, type EventCapture } from './support/event-capture';
import { useTestPrefix } from './support/test-prefix';
import { thumbnailFunctionEnvironment } from './support/thumbnail-function';

jest.setTimeout(180_000);

describe('a subscriber to the thumbnail events on the EventBridge bus', () => {
  const scope = useTestPrefix('events');
  const { prefix } = scope;
  let stack: Stack;
  let capture: EventCapture;

  beforeAll(async () => {
    stack = scope.stack;
    const { EVENT_BUS_NAME } = await thumbnailFunctionEnvironment();
    capture = await captureThumbnailEvents(EVENT_BUS_NAME!, prefix);
  });
  afterAll(async () => {
    await capture?.close();
  });

  const eventFor = (key: string, detailType: string) =>
    eventually(`a "${detailType}" event for ${key}`, async () => {
      const matching = (await capture.read()).filter(
        (event) => event['detail-type'] === detailType && event.detail.key === key,
      );
      return matching.length > 0 ? matching : undefined;
    });

  it('is told "Thumbnails Created" for an upload, naming every thumbnail as it is in the thumbnails bucket', async () => {
    const key = `${prefix}/photo.jpg`;
    await upload(stack.imagesBucket, key, await makeJpeg(800, 600));

    const [event, ...repeats] = (await eventFor(key, 'Thumbnails Created')) as DeliveredEvent[];

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
