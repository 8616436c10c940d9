import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { SQSEvent } from 'aws-lambda';
import { ChangeMessageVisibilityBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { decode, makeJpeg, makePngWithAlpha } from '../../../scripts/lib/sample-images';
import { lambdaContext } from '../../support/lambda-context';
import { S3_TEST_EVENT_BODY, s3NotificationBody, sqsRecord } from '../../support/s3-events';

const s3 = mockClient(S3Client);
const sqs = mockClient(SQSClient);
const IMAGES_QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/000000000000/images';

/** The visibility timeout each failed message was given, by receipt handle. */
function retryDelays(): Record<string, number | undefined> {
  return Object.fromEntries(
    sqs
      .commandCalls(ChangeMessageVisibilityBatchCommand)
      .flatMap(({ args: [command] }) => {
        expect(command.input.QueueUrl).toBe(IMAGES_QUEUE_URL);
        return command.input.Entries ?? [];
      })
      .map((entry) => [entry.ReceiptHandle, entry.VisibilityTimeout]),
  );
}

/** The part of the SDK's streaming body that readers of whole objects use. */
function objectBody(bytes: Buffer) {
  return { transformToByteArray: async () => new Uint8Array(bytes) } as never;
}

/** The thumbnails written to the mocked S3, by key. */
function writtenThumbnails(): Map<string, { contentType: string | undefined; body: Buffer }> {
  return new Map(
    s3
      .commandCalls(PutObjectCommand)
      .map(({ args: [command] }) => [
        `${command.input.Bucket}/${command.input.Key}`,
        { contentType: command.input.ContentType, body: command.input.Body as Buffer },
      ]),
  );
}

describe('thumbnail handler', () => {
  let handler: (event: SQSEvent, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;

  beforeAll(async () => {
    process.env.THUMBNAILS_BUCKET = 'thumbs';
    process.env.THUMBNAIL_SIZES = '75x75,400x300';
    process.env.IMAGES_QUEUE_URL = IMAGES_QUEUE_URL;
    process.env.RETRY_BASE_DELAY_SECONDS = '5';
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    ({ handler } = await import('../../../src/handlers/thumbnail'));
  });

  let objects: Record<string, Buffer>;
  beforeAll(async () => {
    objects = {
      'photo.JPG': await makeJpeg(640, 640),
      'logo.png': await makePngWithAlpha(64, 32),
      'broken.jpg': Buffer.from('definitely not a jpeg'),
    };
  });

  beforeEach(() => {
    s3.reset();
    sqs.reset();
    sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
    s3.on(GetObjectCommand).callsFake(({ Key }: { Key: string }) => {
      const bytes = objects[Key];
      if (!bytes) throw new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} });
      return { Body: objectBody(bytes) };
    });
    s3.on(PutObjectCommand).resolves({});
  });

  it('reports exactly the failed records of a batch and processes the rest', async () => {
    const event: SQSEvent = {
      Records: [
        sqsRecord('good-jpeg', s3NotificationBody('images', 'photo.JPG')),
        sqsRecord('corrupt', s3NotificationBody('images', 'broken.jpg')),
        sqsRecord('test-event', S3_TEST_EVENT_BODY),
        sqsRecord('not-json', 'this is not json'),
        sqsRecord('good-png', s3NotificationBody('images', 'logo.png')),
      ],
    };

    const response = await handler(event, lambdaContext('thumbnail'));

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'corrupt' }, { itemIdentifier: 'not-json' }] });
    const written = writtenThumbnails();
    expect([...written.keys()].sort()).toEqual([
      'thumbs/logo.png/400x300.png',
      'thumbs/logo.png/75x75.png',
      'thumbs/photo.JPG/400x300.jpg',
      'thumbs/photo.JPG/75x75.jpg',
    ]);
    const big = await decode(written.get('thumbs/photo.JPG/400x300.jpg')!.body);
    expect([big.bitmap.width, big.bitmap.height]).toEqual([300, 300]);
    expect(written.get('thumbs/photo.JPG/400x300.jpg')!.contentType).toBe('image/jpeg');
    expect(written.get('thumbs/logo.png/75x75.png')!.contentType).toBe('image/png');
    // Failed messages come back after the retry delay, not after the queue's long visibility timeout.
    expect(retryDelays()).toEqual({ 'handle-corrupt': 5, 'handle-not-json': 5 });
  });

  it('backs off exponentially as a message keeps failing', async () => {
    const record = sqsRecord('again', 'garbage');
    record.attributes.ApproximateReceiveCount = '3';

    await handler({ Records: [record] }, lambdaContext('thumbnail'));

    expect(retryDelays()).toEqual({ 'handle-again': 20 });
  });

  it('still reports the failures when the retry delay cannot be shortened', async () => {
    sqs.on(ChangeMessageVisibilityBatchCommand).rejects(new Error('AccessDenied'));

    await expect(handler({ Records: [sqsRecord('x', 'garbage')] }, lambdaContext('thumbnail'))).resolves.toEqual({
      batchItemFailures: [{ itemIdentifier: 'x' }],
    });
  });

  it('fails only the record whose thumbnail could not be stored', async () => {
    s3.on(PutObjectCommand, { Key: 'logo.png/75x75.png' }).rejects(new Error('SlowDown'));
    const event: SQSEvent = {
      Records: [
        sqsRecord('png', s3NotificationBody('images', 'logo.png')),
        sqsRecord('jpeg', s3NotificationBody('images', 'photo.JPG')),
      ],
    };

    const response = await handler(event, lambdaContext('thumbnail'));

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'png' }] });
    expect(writtenThumbnails().has('thumbs/photo.JPG/400x300.jpg')).toBe(true);
    expect(Object.keys(retryDelays())).toEqual(['handle-png']);
  });

  it('reports every record when the whole batch fails instead of throwing', async () => {
    const event: SQSEvent = {
      Records: [sqsRecord('a', 'garbage'), sqsRecord('b', s3NotificationBody('images', 'missing.jpg'))],
    };

    await expect(handler(event, lambdaContext('thumbnail'))).resolves.toEqual({
      batchItemFailures: [{ itemIdentifier: 'a' }, { itemIdentifier: 'b' }],
    });
  });
});
