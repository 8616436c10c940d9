import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { decode, makeJpeg, makePngWithAlpha } from '../../support/sample-images';
import { lambdaContext } from '../../support/lambda-context';
import { eventBridgeS3EventBody, S3_TEST_EVENT_BODY, s3NotificationBody, sqsRecord } from '../../support/s3-events';

const s3 = mockClient(S3Client);
const sqs = mockClient(SQSClient);
const eventBridge = mockClient(EventBridgeClient);
const IMAGES_QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/000000000000/images';
const DEAD_LETTER_QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/000000000000/images-dlq';

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

/** What was sent to the dead-letter queue: body and the failure attributes. */
function deadLetters() {
  return sqs.commandCalls(SendMessageCommand).map(({ args: [command] }) => {
    expect(command.input.QueueUrl).toBe(DEAD_LETTER_QUEUE_URL);
    const attributes = command.input.MessageAttributes ?? {};
    return {
      body: command.input.MessageBody,
      code: attributes['failure-code']?.StringValue,
      reason: attributes['failure-reason']?.StringValue,
      failedAt: attributes['failed-at']?.StringValue,
    };
  });
}

/** Receipt handles of the messages the function deleted from the images queue itself. */
function deletedAtOnce(): string[] {
  return sqs.commandCalls(DeleteMessageCommand).map(({ args: [command] }) => {
    expect(command.input.QueueUrl).toBe(IMAGES_QUEUE_URL);
    return command.input.ReceiptHandle!;
  });
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

const serviceUnavailable = () =>
  new S3ServiceException({ name: 'ServiceUnavailable', $fault: 'server', $metadata: { httpStatusCode: 503 } });

describe('thumbnail handler', () => {
  let handler: (event: SQSEvent, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;
  let objects: Record<string, Buffer>;

  beforeAll(async () => {
    process.env.THUMBNAILS_BUCKET = 'thumbs';
    process.env.THUMBNAIL_SIZES = '75x75,400x300';
    process.env.IMAGES_QUEUE_URL = IMAGES_QUEUE_URL;
    process.env.DEAD_LETTER_QUEUE_URL = DEAD_LETTER_QUEUE_URL;
    process.env.RETRY_BASE_DELAY_SECONDS = '5';
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    process.env.EVENT_BUS_NAME = 'uploads';
    ({ handler } = await import('../../../src/handlers/thumbnail'));
    objects = {
      'photo.JPG': await makeJpeg(640, 640),
      'logo.png': await makePngWithAlpha(64, 32),
      'broken.jpg': Buffer.from('definitely not a jpeg'),
    };
  });

  beforeEach(() => {
    s3.reset();
    sqs.reset();
    eventBridge.reset();
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'event' }] });
    sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
    sqs.on(SendMessageCommand).resolves({ MessageId: 'dead-letter' });
    sqs.on(DeleteMessageCommand).resolves({});
    s3.on(GetObjectCommand).callsFake(({ Key }: { Key: string }) => {
      if (Key === 'flaky.jpg') throw serviceUnavailable();
      const bytes = objects[Key];
      if (!bytes) throw new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} });
      return { Body: objectBody(bytes), ContentLength: bytes.length };
    });
    s3.on(PutObjectCommand).resolves({});
  });

  it('writes thumbnails, dead-letters what can never work, and reports only what may work on retry', async () => {
    const event: SQSEvent = {
      Records: [
        sqsRecord('good-jpeg', s3NotificationBody('images', 'photo.JPG')),
        sqsRecord('corrupt', s3NotificationBody('images', 'broken.jpg')),
        sqsRecord('test-event', S3_TEST_EVENT_BODY),
        sqsRecord('not-json', 'this is not json'),
        sqsRecord('flaky', s3NotificationBody('images', 'flaky.jpg')),
        sqsRecord('deleted', s3NotificationBody('images', 'deleted.jpg')),
        sqsRecord('good-png', s3NotificationBody('images', 'logo.png')),
      ],
    };

    const response = await handler(event, lambdaContext('thumbnail'));

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'flaky' }] });
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

    // Permanent failures go to the dead-letter queue at once, body unchanged, reason attached.
    expect(deadLetters()).toEqual([
      {
        body: event.Records[1]!.body,
        code: 'unsupported-format',
        reason: expect.stringMatching(/^UnreadableImageError: not an image in a supported format/),
        failedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      },
      {
        body: 'this is not json',
        code: 'invalid-message',
        reason: 'InvalidMessageError: message body is not JSON, so it is not an S3 event notification',
        failedAt: expect.any(String),
      },
    ]);
    // Dead-lettered messages leave the images queue at once: a later crash cannot deliver them again.
    expect(deletedAtOnce()).toEqual(['handle-corrupt', 'handle-not-json']);
    // Transient failures come back after the retry delay, not after the queue's long visibility timeout.
    expect(retryDelays()).toEqual({ 'handle-flaky': 5 });
  });

  it('puts a "Thumbnails Created" or "Thumbnails Failed" event per object on EVENT_BUS_NAME', async () => {
    const event: SQSEvent = {
      Records: [
        sqsRecord('good-jpeg', s3NotificationBody('images', 'photo.JPG')),
        sqsRecord('corrupt', s3NotificationBody('images', 'broken.jpg')),
        sqsRecord('test-event', S3_TEST_EVENT_BODY),
      ],
    };

    await handler(event, lambdaContext('thumbnail'));

    const entries = eventBridge.commandCalls(PutEventsCommand).flatMap(({ args: [command] }) => command.input.Entries!);
    expect(entries.map(({ EventBusName, Source, DetailType }) => [EventBusName, Source, DetailType])).toEqual([
      ['uploads', 'thumbnails', 'Thumbnails Created'],
      ['uploads', 'thumbnails', 'Thumbnails Failed'],
    ]);
    expect(JSON.parse(entries[0]!.Detail!)).toMatchObject({
      bucket: 'images',
      key: 'photo.JPG',
      thumbnails: [
        { bucket: 'thumbs', key: 'photo.JPG/75x75.jpg', width: 75, height: 75, contentType: 'image/jpeg' },
        { bucket: 'thumbs', key: 'photo.JPG/400x300.jpg', width: 300, height: 300, contentType: 'image/jpeg' },
      ],
    });
    expect(JSON.parse(entries[1]!.Detail!)).toMatchObject({
      key: 'broken.jpg',
      failureCode: 'unsupported-format',
      messageId: 'corrupt',
    });
  });

  it('treats an upload delivered through EventBridge (ingest: eventbridge) as one from the notification', async () => {
    const event: SQSEvent = {
      Records: [
        sqsRecord('bridged-jpeg', eventBridgeS3EventBody('images', 'photo.JPG')),
        sqsRecord('bridged-corrupt', eventBridgeS3EventBody('images', 'broken.jpg')),
        sqsRecord('bridged-flaky', eventBridgeS3EventBody('images', 'flaky.jpg')),
      ],
    };

    const response = await handler(event, lambdaContext('thumbnail'));

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'bridged-flaky' }] });
    expect([...writtenThumbnails().keys()].sort()).toEqual([
      'thumbs/photo.JPG/400x300.jpg',
      'thumbs/photo.JPG/75x75.jpg',
    ]);
    expect(deadLetters()).toEqual([
      expect.objectContaining({ body: event.Records[1]!.body, code: 'unsupported-format' }),
    ]);
    expect(deletedAtOnce()).toEqual(['handle-bridged-corrupt']);
    expect(retryDelays()).toEqual({ 'handle-bridged-flaky': 5 });
  });

  it('reports a record as failed, with its thumbnails written, when EventBridge refuses its event', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure' }] });

    const response = await handler(
      { Records: [sqsRecord('good-jpeg', s3NotificationBody('images', 'photo.JPG'))] },
      lambdaContext('thumbnail'),
    );

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'good-jpeg' }] });
    expect(writtenThumbnails().has('thumbs/photo.JPG/400x300.jpg')).toBe(true);
    expect(retryDelays()).toEqual({ 'handle-good-jpeg': 5 });
  });

  it('lets SQS retry a permanent failure when the dead-letter queue cannot be reached, so nothing is lost', async () => {
    sqs.on(SendMessageCommand).rejects(new Error('AccessDenied'));

    const response = await handler({ Records: [sqsRecord('x', 'garbage')] }, lambdaContext('thumbnail'));

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'x' }] });
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
    expect(deadLetters()).toEqual([]);
  });

  it('writes the same keys with the same bytes when a message is delivered again', async () => {
    const event: SQSEvent = { Records: [sqsRecord('again', s3NotificationBody('images', 'photo.JPG'))] };

    await handler(event, lambdaContext('thumbnail'));
    const first = writtenThumbnails();
    s3.resetHistory();
    await handler(event, lambdaContext('thumbnail'));
    const second = writtenThumbnails();

    expect([...second.keys()]).toEqual([...first.keys()]);
    for (const [key, { body }] of first) expect(second.get(key)!.body.equals(body)).toBe(true);
  });

  it('backs off exponentially as a message keeps failing', async () => {
    const record = sqsRecord('again', s3NotificationBody('images', 'flaky.jpg'));
    record.attributes.ApproximateReceiveCount = '3';

    await handler({ Records: [record] }, lambdaContext('thumbnail'));

    expect(retryDelays()).toEqual({ 'handle-again': 20 });
  });

  it('still reports the failures when the retry delay cannot be shortened', async () => {
    sqs.on(ChangeMessageVisibilityBatchCommand).rejects(new Error('AccessDenied'));
    const event = { Records: [sqsRecord('x', s3NotificationBody('images', 'flaky.jpg'))] };

    await expect(handler(event, lambdaContext('thumbnail'))).resolves.toEqual({
      batchItemFailures: [{ itemIdentifier: 'x' }],
    });
  });

  it('reports every record when the whole batch fails instead of throwing', async () => {
    const event: SQSEvent = {
      Records: [
        sqsRecord('a', s3NotificationBody('images', 'flaky.jpg')),
        sqsRecord('b', s3NotificationBody('images', 'flaky.jpg')),
      ],
    };

    await expect(handler(event, lambdaContext('thumbnail'))).resolves.toEqual({
      batchItemFailures: [{ itemIdentifier: 'a' }, { itemIdentifier: 'b' }],
    });
  });
  it('does not start records once the invocation is short of a render budget plus headroom, and retries them', async () => {
    // Defaults: 15 s render budget + 10 s headroom. The first record starts with 25 s left; then 24.9 s.
    const remaining = [25_000, 24_900, 24_800];
    const context = lambdaContext('thumbnail', () => remaining.shift() ?? 0);
    const event: SQSEvent = {
      Records: [
        sqsRecord('started', s3NotificationBody('images', 'photo.JPG')),
        sqsRecord('late-1', s3NotificationBody('images', 'logo.png')),
        sqsRecord('late-2', s3NotificationBody('images', 'broken.jpg')),
      ],
    };

    const response = await handler(event, context);

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'late-1' }, { itemIdentifier: 'late-2' }] });
    expect(s3.commandCalls(GetObjectCommand).map(({ args: [command] }) => command.input.Key)).toEqual(['photo.JPG']);
    expect([...writtenThumbnails().keys()].sort()).toEqual([
      'thumbs/photo.JPG/400x300.jpg',
      'thumbs/photo.JPG/75x75.jpg',
    ]);
    // Not started is not a verdict on the image: nothing dead-lettered, both come back after the delay.
    expect(deadLetters()).toEqual([]);
    expect(retryDelays()).toEqual({ 'handle-late-1': 5, 'handle-late-2': 5 });
  });

  it('retries a record whose S3 read timed out instead of dead-lettering it', async () => {
    // What the SDK's request timeout throws (src/aws/clients.ts sets one).
    const timedOut = Object.assign(new Error('Connection timed out after 5000 ms'), { name: 'TimeoutError' });
    s3.on(GetObjectCommand, { Key: 'photo.JPG' }).rejects(timedOut);
    const event: SQSEvent = {
      Records: [
        sqsRecord('stalled', s3NotificationBody('images', 'photo.JPG')),
        sqsRecord('next', s3NotificationBody('images', 'logo.png')),
      ],
    };

    const response = await handler(event, lambdaContext('thumbnail'));

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'stalled' }] });
    expect(writtenThumbnails().has('thumbs/logo.png/75x75.png')).toBe(true);
    expect(deadLetters()).toEqual([]);
    expect(retryDelays()).toEqual({ 'handle-stalled': 5 });
  });

  it('skips an object overwritten since its notification (412 on its ETag), without failing the message', async () => {
    s3.on(GetObjectCommand, { Key: 'photo.JPG', IfMatch: '"old-etag"' }).rejects(
      new S3ServiceException({ name: 'PreconditionFailed', $fault: 'client', $metadata: { httpStatusCode: 412 } }),
    );
    const body = JSON.parse(s3NotificationBody('images', 'photo.JPG'));
    body.Records[0].s3.object.eTag = 'old-etag';

    const response = await handler({ Records: [sqsRecord('old', JSON.stringify(body))] }, lambdaContext('thumbnail'));

    expect(response).toEqual({ batchItemFailures: [] });
    expect(writtenThumbnails().size).toBe(0);
    expect(deadLetters()).toEqual([]);
  });
});
