/**
 * The worker end to end in one process: the loop with the thumbnail function's own record handling
 * (handleRecord, the real render worker thread), S3 mocked, the SQS fake on real timers. What each kind
 * of message ends as, and the lines and statistics the worker prints.
 */
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { loadThumbnailConfig } from '../../../src/config';
import { s3ImageStore } from '../../../src/thumbnail/image-store';
import { createRenderWorker } from '../../../src/thumbnail/render-worker';
import { runWorkerLoop } from '../../../src/worker/loop';
import { messageLog, renderPool, workerRecordHandler } from '../../../src/worker/record-handler';
import { WorkerStats } from '../../../src/worker/stats';
import { fakeSqs } from '../../support/fake-sqs';
import { recordingEvents } from '../../support/recording-events';
import { makeJpeg } from '../../support/sample-images';
import { s3NotificationBody, sqsRecord } from '../../support/s3-events';

jest.setTimeout(60_000);

const IMAGES_QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/000000000000/images';
const DEAD_LETTER_QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/000000000000/images-dlq';

const s3 = mockClient(S3Client);

describe('the worker with the thumbnail function’s record handling', () => {
  it('writes thumbnails, dead-letters what cannot be processed, leaves a failed write to SQS, and prints a line for each', async () => {
    const objects: Record<string, Buffer> = {
      'photo.jpg': await makeJpeg(640, 480),
      'broken.jpg': Buffer.from('definitely not a jpeg'),
      'flaky.jpg': await makeJpeg(320, 240),
    };
    s3.on(GetObjectCommand).callsFake(({ Key }: { Key: string }) => ({
      Body: { transformToByteArray: async () => new Uint8Array(objects[Key]!) } as never,
      ContentLength: objects[Key]!.length,
    }));
    s3.on(PutObjectCommand).callsFake(({ Key }: { Key: string }) => {
      if (Key.startsWith('flaky.jpg/'))
        throw Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown' });
      return {};
    });
    const sqs = fakeSqs(
      {
        [IMAGES_QUEUE_URL]: ['photo.jpg', 'broken.jpg', 'flaky.jpg'].map((key) => ({
          id: key,
          body: s3NotificationBody('images', key),
        })),
        [DEAD_LETTER_QUEUE_URL]: [],
      },
      { onTimers: true },
    );
    const settings = loadThumbnailConfig({
      THUMBNAILS_BUCKET: 'thumbs',
      THUMBNAIL_SIZES: '75x75,200x150',
      IMAGES_QUEUE_URL,
      DEAD_LETTER_QUEUE_URL,
      RENDER_BUDGET_MS: '10000',
      INVOCATION_HEADROOM_MS: '2000',
    });
    const lines: string[] = [];
    const print = { line: (text: string) => lines.push(text), warn: (text: string) => lines.push(text) };
    const stats = new WorkerStats(Date.now());
    const renderers = renderPool(2, () => createRenderWorker(settings.render));
    const shared = {
      settings,
      store: s3ImageStore(new S3Client({ region: 'us-east-1' })),
      sqs: sqs.client,
      events: recordingEvents(),
    };
    try {
      await runWorkerLoop(
        {
          sqs: sqs.client,
          queueUrl: IMAGES_QUEUE_URL,
          concurrency: 2,
          waitTimeSeconds: 1,
          visibilityTimeoutSeconds: 30,
          retry: settings.retry,
          once: true,
          shutdownGraceMs: 1_000,
          handle: workerRecordHandler(shared, renderers, print, stats),
          events: { received: () => (stats.received += 1), finished: (_record, outcome) => stats.count(outcome) },
        },
        new AbortController().signal,
      );
    } finally {
      await renderers.close();
    }

    expect(
      s3
        .commandCalls(PutObjectCommand)
        .map(({ args: [command] }) => command.input.Key)
        .filter((key) => key!.startsWith('photo.jpg/'))
        .sort(),
    ).toEqual(['photo.jpg/200x150.jpg', 'photo.jpg/75x75.jpg']);
    // The corrupt one is in the dead-letter queue with its reason; the flaky one waits for its retry delay.
    expect(sqs.state.queues.get(DEAD_LETTER_QUEUE_URL)).toEqual([
      expect.objectContaining({
        body: s3NotificationBody('images', 'broken.jpg'),
        attributes: expect.objectContaining({
          'failure-code': { DataType: 'String', StringValue: 'unsupported-format' },
        }),
      }),
    ]);
    const left = sqs.state.queues.get(IMAGES_QUEUE_URL)!;
    expect(left.map(({ id, receiveCount }) => [id, receiveCount])).toEqual([['flaky.jpg', 1]]);
    expect(left[0]!.invisibleUntil! - sqs.state.now).toBeGreaterThan(5_000);
    expect(left[0]!.invisibleUntil! - sqs.state.now).toBeLessThanOrEqual(settings.retry.baseDelaySeconds * 1000);

    expect(stats.received).toBe(3);
    expect(stats.outcomes).toEqual({ succeeded: 1, 'dead-lettered': 1, retried: 1, released: 0 });
    expect([...stats.objectsByFormat]).toEqual([['jpeg', 1]]);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^ok +s3:\/\/images\/photo\.jpg -> 75x56 200x150 \(\d+ ms\)$/),
        expect.stringMatching(/^failed +s3:\/\/images\/broken\.jpg: .*\(permanent\)$/),
        expect.stringMatching(/^dead +message broken\.jpg -> dead-letter queue, unsupported-format$/),
        expect.stringMatching(/^failed +s3:\/\/images\/flaky\.jpg: SlowDown: .*\(transient: SQS delivers it again\)$/),
      ]),
    );
  });

  it('prints one line per object, a skipped one and a dead letter included, and counts the skipped', () => {
    const stats = new WorkerStats(0);
    const printed: string[] = [];
    const log = messageLog(
      sqsRecord('m1', '{}'),
      { line: (t) => printed.push(t), warn: (t) => printed.push(t) },
      stats,
    );
    log.info('object skipped', { bucket: 'images', key: 'gone.jpg', outcome: 'skipped', reason: 'deleted' });
    log.info('message sent to the dead-letter queue', { outcome: 'dead-lettered', failureCode: 'invalid-message' });
    expect(stats.skipped).toBe(1);
    expect(printed).toEqual([
      'skipped   s3://images/gone.jpg: deleted',
      'dead      message m1 -> dead-letter queue, invalid-message',
    ]);
  });
});
