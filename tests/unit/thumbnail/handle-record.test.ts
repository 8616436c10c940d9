import { DeleteMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import sharp from 'sharp';
import { RecordDeferredError } from '../../../src/errors';
import {
  handleRecord,
  timeoutMisconfigurationCheck,
  type RecordDependencies,
  type RecordSettings,
} from '../../../src/thumbnail/handle-record';
import type { ImageStore, StoredThumbnail } from '../../../src/thumbnail/image-store';
import { createRenderWorker, type RenderWorker } from '../../../src/thumbnail/render-worker';
import { parseBoundingBoxes } from '../../../src/thumbnail/sizes';
import { makeJpeg } from '../../support/sample-images';
import { recordingEvents } from '../../support/recording-events';
import { s3NotificationBody, sqsRecord } from '../../support/s3-events';

jest.setTimeout(60_000);

const sqs = mockClient(SQSClient);
const IMAGES_QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/000000000000/images';
const DEAD_LETTER_QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/000000000000/images-dlq';

const settings: RecordSettings = {
  thumbnailsBucket: 'thumbs',
  sizes: parseBoundingBoxes('75x75,400x300'),
  outputFormat: 'auto',
  quality: 80,
  maxImageBytes: 50_000_000,
  maxImagePixels: 50_000_000,
  maxDecodeBytes: 2_000_000_000,
  imagesQueueUrl: IMAGES_QUEUE_URL,
  deadLetterQueueUrl: DEAD_LETTER_QUEUE_URL,
  render: { budgetMs: 400, maxHeapMb: 256 },
  invocationHeadroomMs: 1_000,
};

function memoryStore(objects: Record<string, Buffer>): ImageStore & { written: StoredThumbnail[] } {
  const written: StoredThumbnail[] = [];
  return {
    written,
    read: async (_bucket, key) => objects[key]!,
    write: async (object) => {
      written.push(object);
    },
  };
}

const silentLog = { info: () => undefined, error: () => undefined, warn: () => undefined };

describe('handleRecord', () => {
  let worker: RenderWorker;
  let store: ReturnType<typeof memoryStore>;
  let deps: RecordDependencies;

  beforeAll(async () => {
    store = memoryStore({
      'small-1.jpg': await makeJpeg(320, 240),
      'small-2.jpg': await makeJpeg(240, 320),
      'text.jpg': Buffer.from('not an image'),
      // 49 MP of one colour as a PNG (named .jpg; decoded by content): small, and well over a second to
      // inflate and shrink. (A JPEG no longer is: it is decoded at 1/8 of its size for these thumbnails.)
      'hostile.jpg': await sharp({
        create: { width: 7000, height: 7000, channels: 3, background: { r: 200, g: 100, b: 50 } },
      })
        .png()
        .toBuffer(),
    });
    worker = createRenderWorker(settings.render);
    deps = {
      store,
      render: worker.render,
      sqs: new SQSClient({ region: 'us-east-1' }),
      settings,
      log: silentLog,
      events: recordingEvents(),
    };
    // A warm worker, as after the first record of any container: start-up and codecs loaded.
    await worker.render(await makeJpeg(64, 64), settings.sizes, {
      outputFormat: 'auto',
      quality: 80,
      budget: { maxPixels: 1_000_000, maxBytes: 100_000_000 },
    });
  });
  afterAll(() => worker.close());

  beforeEach(() => {
    sqs.reset();
    sqs.on(SendMessageCommand).resolves({ MessageId: 'dead-letter' });
    sqs.on(DeleteMessageCommand).resolves({});
    store.written.length = 0;
    deps = { ...deps, events: recordingEvents() };
  });

  const published = () => (deps.events as ReturnType<typeof recordingEvents>).published;

  it('stops a render that overruns its budget, dead-letters that record with its own code, and carries on', async () => {
    const records = ['small-1.jpg', 'hostile.jpg', 'small-2.jpg'].map((key) =>
      sqsRecord(key, s3NotificationBody('images', key)),
    );

    const outcomes = await Promise.allSettled(records.map((record) => handleRecord(record, () => 60_000, deps)));

    // Every record ends acknowledged: two with thumbnails, the hostile one in the dead-letter queue.
    expect(outcomes.map(({ status }) => status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    expect(store.written.map(({ key }) => key).sort()).toEqual([
      'small-1.jpg/400x300.jpg',
      'small-1.jpg/75x75.jpg',
      'small-2.jpg/400x300.jpg',
      'small-2.jpg/75x75.jpg',
    ]);
    const sent = sqs.commandCalls(SendMessageCommand).map(({ args: [command] }) => command.input);
    expect(sent).toEqual([
      expect.objectContaining({
        QueueUrl: DEAD_LETTER_QUEUE_URL,
        MessageBody: records[1]!.body,
        MessageAttributes: expect.objectContaining({
          'failure-code': { DataType: 'String', StringValue: 'render-timed-out' },
          'failure-reason': {
            DataType: 'String',
            StringValue:
              'RenderStoppedError: the render took longer than its budget of 400 ms (RENDER_BUDGET_MS) and was stopped',
          },
        }),
      }),
    ]);
    // Deleted from the images queue at once, so a crash later in the batch cannot dead-letter it twice.
    expect(sqs.commandCalls(DeleteMessageCommand).map(({ args: [command] }) => command.input)).toEqual([
      { QueueUrl: IMAGES_QUEUE_URL, ReceiptHandle: 'handle-hostile.jpg' },
    ]);
  });

  it('puts "Thumbnails Failed" with the code and reason for a dead-lettered record, and "Created" for the others', async () => {
    const records = ['small-1.jpg', 'text.jpg'].map((key) => sqsRecord(key, s3NotificationBody('images', key)));

    for (const record of records) await handleRecord(record, () => 60_000, deps);

    expect(published()).toEqual([
      expect.objectContaining({
        detailType: 'Thumbnails Created',
        detail: expect.objectContaining({ key: 'small-1.jpg' }),
      }),
      {
        detailType: 'Thumbnails Failed',
        detail: {
          bucket: 'images',
          key: 'text.jpg',
          eTag: 'etag',
          failureCode: 'unsupported-format',
          reason: expect.stringMatching(/^UnreadableImageError: not an image in a supported format/),
          messageId: 'text.jpg',
        },
      },
    ]);
  });

  it('puts "Thumbnails Failed" without an object for a message that names none', async () => {
    await handleRecord(sqsRecord('garbage', 'not json'), () => 60_000, deps);

    expect(published()).toEqual([
      {
        detailType: 'Thumbnails Failed',
        detail: {
          failureCode: 'invalid-message',
          reason: 'InvalidMessageError: message body is not JSON, so it is not an S3 event notification',
          messageId: 'garbage',
        },
      },
    ]);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(1);
  });

  it('neither dead-letters nor acknowledges a permanent failure whose event cannot be published: SQS retries it', async () => {
    (deps.events as ReturnType<typeof recordingEvents>).failWith = new Error('EventBridge unavailable');
    const record = sqsRecord('bad', s3NotificationBody('images', 'text.jpg'));

    await expect(handleRecord(record, () => 60_000, deps)).rejects.toThrow('EventBridge unavailable');
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
    expect(sqs.commandCalls(DeleteMessageCommand)).toHaveLength(0);
  });

  it('does not start a record with less than the render budget plus headroom left', async () => {
    const record = sqsRecord('late', s3NotificationBody('images', 'small-1.jpg'));

    await expect(handleRecord(record, () => 1_399, deps)).rejects.toThrow(
      new RecordDeferredError(
        '1399 ms left in the invocation, under the 1400 ms a record needs (RENDER_BUDGET_MS + INVOCATION_HEADROOM_MS)',
      ),
    );
    await expect(handleRecord(record, () => 1_400, deps)).resolves.toBe('processed');
    expect(store.written).toHaveLength(2);
  });

  it('still acknowledges a dead-lettered record when deleting it at once fails (the batch response does it)', async () => {
    sqs.on(DeleteMessageCommand).rejects(new Error('AccessDenied'));
    const record = sqsRecord('bad', s3NotificationBody('images', 'missing-bytes.jpg'));
    store.read = async () => Buffer.from('not an image');

    await expect(handleRecord(record, () => 60_000, deps)).resolves.toBe('dead-lettered');
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(1);
  });

  it('fails the record, for SQS to retry, when the dead-letter queue cannot be reached', async () => {
    sqs.on(SendMessageCommand).rejects(new Error('AccessDenied'));
    const record = sqsRecord('bad', s3NotificationBody('images', 'missing-bytes.jpg'));
    store.read = async () => Buffer.from('not an image');

    await expect(handleRecord(record, () => 60_000, deps)).rejects.toThrow('AccessDenied');
    expect(sqs.commandCalls(DeleteMessageCommand)).toHaveLength(0);
  });
});

describe('timeoutMisconfigurationCheck', () => {
  it('logs an error, once per container, when an invocation starts with less time than a record needs', () => {
    const errors: unknown[][] = [];
    const check = timeoutMisconfigurationCheck(settings, { error: (...args: unknown[]) => errors.push(args) });

    check(1_400);
    expect(errors).toEqual([]);
    check(1_399);
    check(500);
    expect(errors).toEqual([
      [
        'misconfigured: the function timeout is too short for any record to start',
        {
          outcome: 'misconfigured',
          remainingMs: 1_399,
          neededMs: 1_400,
          reason:
            'the invocation started with 1399 ms, under the 1400 ms a record needs (RENDER_BUDGET_MS + INVOCATION_HEADROOM_MS): every message will be deferred until SQS dead-letters it; raise the function timeout or lower those settings',
        },
      ],
    ]);
  });
});
