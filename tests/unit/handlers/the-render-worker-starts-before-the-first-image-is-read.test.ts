/**
 * On a cold start the render worker's start-up (loading the render step, compiling the JPEG codecs)
 * overlaps the first record's read from S3: the real handler starts it as the invocation begins, before
 * its first GetObject, rather than on its first render.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import type { RenderWorker } from '../../../src/thumbnail/render-worker';
import { lambdaContext } from '../../support/lambda-context';
import { makeJpeg } from '../../support/sample-images';
import { s3NotificationBody, sqsRecord } from '../../support/s3-events';

/** The render workers the handler made, as it made them (jest.mock's factory may only use `mock…` names). */
const mockRenderWorkers: RenderWorker[] = [];
jest.mock('../../../src/thumbnail/render-worker', () => {
  const actual = jest.requireActual<typeof import('../../../src/thumbnail/render-worker')>(
    '../../../src/thumbnail/render-worker',
  );
  return {
    ...actual,
    createRenderWorker: (...args: Parameters<typeof actual.createRenderWorker>) => {
      const worker = actual.createRenderWorker(...args);
      mockRenderWorkers.push(worker);
      return worker;
    },
  };
});

const s3 = mockClient(S3Client);
mockClient(SQSClient);
const eventBridge = mockClient(EventBridgeClient);

describe('a cold thumbnail function', () => {
  afterAll(() => Promise.all(mockRenderWorkers.map((worker) => worker.close())));

  it('has its render worker starting by the time it reads the first image', async () => {
    process.env.THUMBNAILS_BUCKET = 'thumbs';
    process.env.THUMBNAIL_SIZES = '75x75';
    process.env.IMAGES_QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/000000000000/images';
    process.env.DEAD_LETTER_QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/000000000000/images-dlq';
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    const { handler } = await import('../../../src/handlers/thumbnail');
    expect(mockRenderWorkers).toHaveLength(1);
    const [renderer] = mockRenderWorkers;
    expect(renderer!.workersStarted).toBe(0);

    const photo = await makeJpeg(200, 100);
    const startedWhenRead: number[] = [];
    s3.on(GetObjectCommand).callsFake(() => {
      startedWhenRead.push(renderer!.workersStarted);
      return {
        Body: { transformToByteArray: async () => new Uint8Array(photo) } as never,
        ContentLength: photo.length,
      };
    });
    s3.on(PutObjectCommand).resolves({});
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'event' }] });

    const event: SQSEvent = { Records: [sqsRecord('photo', s3NotificationBody('images', 'photo.jpg'))] };
    expect(await handler(event, lambdaContext('thumbnail'))).toEqual({ batchItemFailures: [] });

    expect(startedWhenRead).toEqual([1]);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(1);
    expect(renderer!.workersStarted).toBe(1);
  });
});
