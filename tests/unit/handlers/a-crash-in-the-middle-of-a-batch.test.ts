/**
 * What becomes of every message of a batch when the thumbnail function dies in the middle of it: the real
 * handler, against the SQS fake on its clock, with the Lambda poller's part (receive with the queue's
 * visibility timeout, run the handler, delete what it did not report) played by this test.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { fakeSqs } from '../../support/fake-sqs';
import { lambdaContext } from '../../support/lambda-context';
import { makeJpeg, makePngWithAlpha } from '../../support/sample-images';
import { s3NotificationBody } from '../../support/s3-events';

jest.setTimeout(60_000);

const IMAGES_QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/000000000000/images';
const DEAD_LETTER_QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/000000000000/images-dlq';
/** The images queue's (serverless.yml custom.imagesQueueVisibilityTimeout) and the function's timeout. */
const VISIBILITY_TIMEOUT_SECONDS = 360;
const FUNCTION_TIMEOUT_MS = 60_000;
/**
 * The invocation that dies times out in real time (middy's timer is a real one): short, so the test does
 * not wait a minute, and still twice what a record needs to start (RENDER_BUDGET_MS + INVOCATION_HEADROOM_MS
 * below), so the first two records finish and the third starts well before it.
 */
const DYING_INVOCATION_TIMEOUT_MS = 6_000;

const s3 = mockClient(S3Client);
// Every event accepted: what EventBridge makes of them is tests/unit/aws/event-bus.test.ts's concern.
mockClient(EventBridgeClient).on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
const sqs = fakeSqs({
  [IMAGES_QUEUE_URL]: [
    { id: 'good', body: s3NotificationBody('images', 'photo.jpg') },
    { id: 'corrupt', body: s3NotificationBody('images', 'broken.jpg') },
    { id: 'in-flight-at-crash', body: s3NotificationBody('images', 'stuck.jpg') },
    { id: 'never-started', body: s3NotificationBody('images', 'logo.png') },
  ],
  [DEAD_LETTER_QUEUE_URL]: [],
});

/** What the Lambda poller hands the function for a message it received. */
function lambdaRecord(message: Message): SQSRecord {
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body!,
    attributes: {
      ApproximateReceiveCount: message.Attributes!.ApproximateReceiveCount!,
      SentTimestamp: message.Attributes!.SentTimestamp!,
      SenderId: 'sender',
      ApproximateFirstReceiveTimestamp: '0',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:images',
    awsRegion: 'us-east-1',
  };
}

/** The poller's receive: up to a batch of 10, hidden for the queue's visibility timeout. */
async function pollerReceives(): Promise<SQSEvent> {
  const { Messages = [] } = await sqs.client.send(
    new ReceiveMessageCommand({
      QueueUrl: IMAGES_QUEUE_URL,
      MaxNumberOfMessages: 10,
      VisibilityTimeout: VISIBILITY_TIMEOUT_SECONDS,
      MessageSystemAttributeNames: ['All'],
    }),
  );
  return { Records: Messages.map(lambdaRecord) };
}

/** The poller, once the function answered: deletes every record the batch response does not name. */
async function pollerAcknowledges(event: SQSEvent, response: SQSBatchResponse): Promise<void> {
  const failed = new Set(response.batchItemFailures.map(({ itemIdentifier }) => itemIdentifier));
  const done = event.Records.filter((record) => !failed.has(record.messageId));
  if (done.length === 0) return;
  await sqs.client.send(
    new DeleteMessageBatchCommand({
      QueueUrl: IMAGES_QUEUE_URL,
      Entries: done.map((record, i) => ({ Id: String(i), ReceiptHandle: record.receiptHandle })),
    }),
  );
}

/** Lambda's context for an invocation starting now on the fake clock. */
function invocationContext() {
  const deadline = sqs.clock.now() + FUNCTION_TIMEOUT_MS;
  return lambdaContext('thumbnail', () => deadline - sqs.clock.now());
}

/** Lambda's context for an invocation that times out in `timeoutMs` of real time. */
function realTimeContext(timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  return lambdaContext('thumbnail', () => deadline - Date.now());
}

/** Thumbnails written to the mocked S3 since its history was last reset, by key. */
function writtenThumbnails(): Map<string, Buffer> {
  return new Map(
    s3.commandCalls(PutObjectCommand).map(({ args: [command] }) => [command.input.Key!, command.input.Body as Buffer]),
  );
}

const ids = (event: SQSEvent) => event.Records.map((record) => record.messageId);

describe('a crash in the middle of a batch', () => {
  let handler: (event: SQSEvent, context: ReturnType<typeof lambdaContext>) => Promise<SQSBatchResponse>;
  let objects: Record<string, Buffer>;
  /** While set, the read of stuck.jpg never answers, and this is called when it starts. */
  let crashOnRead: (() => void) | undefined;

  beforeAll(async () => {
    process.env.THUMBNAILS_BUCKET = 'thumbs';
    process.env.THUMBNAIL_SIZES = '75x75,400x300';
    process.env.IMAGES_QUEUE_URL = IMAGES_QUEUE_URL;
    process.env.DEAD_LETTER_QUEUE_URL = DEAD_LETTER_QUEUE_URL;
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    process.env.RENDER_BUDGET_MS = '2000';
    process.env.INVOCATION_HEADROOM_MS = '1000';
    ({ handler } = await import('../../../src/handlers/thumbnail'));
    objects = {
      'photo.jpg': await makeJpeg(640, 480),
      'broken.jpg': Buffer.from('definitely not a jpeg'),
      'stuck.jpg': await makeJpeg(300, 500),
      'logo.png': await makePngWithAlpha(64, 32),
    };
    s3.on(GetObjectCommand).callsFake(({ Key }: { Key: string }) => {
      if (Key === 'stuck.jpg' && crashOnRead) {
        crashOnRead();
        return new Promise(() => undefined);
      }
      const bytes = objects[Key]!;
      return {
        Body: { transformToByteArray: async () => new Uint8Array(bytes) } as never,
        ContentLength: bytes.length,
      };
    });
    s3.on(PutObjectCommand).resolves({});
  });

  it('loses nothing and dead-letters nothing twice: every message not dead-lettered comes back and gets its thumbnails', async () => {
    // The first delivery dies during the third record: its read never answers (not even to its abort)
    // and the invocation times out. Lambda gets an error, not a batch response, so the poller deletes
    // nothing; the fourth record never starts.
    const firstBatch = await pollerReceives();
    expect(ids(firstBatch)).toEqual(['good', 'corrupt', 'in-flight-at-crash', 'never-started']);
    const readHangs = new Promise<'read hangs'>((resolve) => (crashOnRead = () => resolve('read hangs')));
    const dying = handler(firstBatch, realTimeContext(DYING_INVOCATION_TIMEOUT_MS));
    // Should the third record not start, the invocation answers first and this fails instead of hanging.
    expect(await Promise.race([readHangs, dying])).toBe('read hangs');
    await expect(dying).rejects.toMatchObject({ name: 'TimeoutError' });
    crashOnRead = undefined;

    const firstThumbnails = writtenThumbnails();
    expect([...firstThumbnails.keys()].sort()).toEqual(['photo.jpg/400x300.jpg', 'photo.jpg/75x75.jpg']);
    expect(s3.commandCalls(GetObjectCommand).map(({ args: [command] }) => command.input.Key)).toEqual([
      'photo.jpg',
      'broken.jpg',
      'stuck.jpg',
    ]);
    // The corrupt one is in the dead-letter queue and already gone from the images queue.
    expect(sqs.state.queues.get(DEAD_LETTER_QUEUE_URL)!.map(({ body }) => body)).toEqual([firstBatch.Records[1]!.body]);
    expect(sqs.state.queues.get(IMAGES_QUEUE_URL)!.map(({ id }) => id)).toEqual([
      'good',
      'in-flight-at-crash',
      'never-started',
    ]);
    // The rest stay hidden until the visibility timeout passes.
    sqs.state.now += VISIBILITY_TIMEOUT_SECONDS * 1_000 - 1;
    expect((await pollerReceives()).Records).toEqual([]);

    // After it, SQS delivers them again, to a new invocation.
    sqs.state.now += 1;
    s3.resetHistory();
    const secondBatch = await pollerReceives();
    expect(secondBatch.Records.map((record) => [record.messageId, record.attributes.ApproximateReceiveCount])).toEqual([
      ['good', '2'],
      ['in-flight-at-crash', '2'],
      ['never-started', '2'],
    ]);
    const response = await handler(secondBatch, invocationContext());
    expect(response).toEqual({ batchItemFailures: [] });
    await pollerAcknowledges(secondBatch, response);

    // Every message accounted for: three with thumbnails (the first one's rewritten, same keys, same
    // bytes), one in the dead-letter queue exactly once, with its reason; nothing left in the images queue.
    const secondThumbnails = writtenThumbnails();
    expect([...secondThumbnails.keys()].sort()).toEqual([
      'logo.png/400x300.png',
      'logo.png/75x75.png',
      'photo.jpg/400x300.jpg',
      'photo.jpg/75x75.jpg',
      'stuck.jpg/400x300.jpg',
      'stuck.jpg/75x75.jpg',
    ]);
    for (const [key, body] of firstThumbnails) expect(secondThumbnails.get(key)!.equals(body)).toBe(true);
    expect(sqs.state.queues.get(DEAD_LETTER_QUEUE_URL)).toEqual([
      expect.objectContaining({
        body: firstBatch.Records[1]!.body,
        attributes: expect.objectContaining({
          'failure-code': { DataType: 'String', StringValue: 'unsupported-format' },
        }),
      }),
    ]);
    expect(sqs.state.queues.get(IMAGES_QUEUE_URL)).toEqual([]);
    sqs.state.now += VISIBILITY_TIMEOUT_SECONDS * 1_000;
    expect((await pollerReceives()).Records).toEqual([]);
  });
});
