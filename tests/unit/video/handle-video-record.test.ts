import { DeleteMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { ObjectGoneError, UnreadableVideoError } from '../../../src/errors';
import { renderThumbnails } from '../../../src/images/render';
import type { ImageStore, StoredThumbnail } from '../../../src/thumbnail/image-store';
import { parseBoundingBoxes } from '../../../src/thumbnail/sizes';
import type { Ffmpeg } from '../../../src/video/ffmpeg';
import { handleVideoRecord, type VideoRecordSettings } from '../../../src/video/handle-video-record';
import type { VideoInfo } from '../../../src/video/probe';
import type { VideoSource } from '../../../src/video/video-source';
import { recordingEvents } from '../../support/recording-events';
import { s3NotificationBody, sqsRecord } from '../../support/s3-events';
import { makeJpeg } from '../../support/sample-images';

const sqs = mockClient(SQSClient);
const VIDEOS_QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/000000000000/videos';
const DEAD_LETTER_QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/000000000000/images-dlq';

const settings: VideoRecordSettings = {
  thumbnailsBucket: 'thumbs',
  sizes: parseBoundingBoxes('75x75'),
  outputFormat: 'auto',
  quality: 80,
  maxImageBytes: 50_000_000,
  maxImagePixels: 50_000_000,
  maxDecodeBytes: 500_000_000,
  videosQueueUrl: VIDEOS_QUEUE_URL,
  deadLetterQueueUrl: DEAD_LETTER_QUEUE_URL,
  video: {
    limits: { maxDurationSeconds: 60, maxFramePixels: 1_000_000 },
    frameCount: 2,
    frameBox: parseBoundingBoxes('100x100')[0]!,
    tileBox: parseBoundingBoxes('20x20')[0]!,
    ffmpegPath: undefined,
    headroomMs: 1_000,
  },
};

const info: VideoInfo = { durationSeconds: 2, width: 64, height: 48, rotation: 0, codec: 'h264', container: 'mp4' };
const source: VideoSource = { locate: async () => ({ url: 'https://example/video', bytes: 100 }) };

function recorder() {
  const lines: { message: string; fields: Record<string, unknown> }[] = [];
  const log = (message: string, fields: Record<string, unknown> = {}) => lines.push({ message, fields });
  return { lines, log: { info: log, error: log, warn: log } };
}

function memoryStore(): ImageStore & { written: StoredThumbnail[] } {
  const written: StoredThumbnail[] = [];
  return {
    written,
    read: () => Promise.reject(new Error('unused')),
    write: async (object) => void written.push(object),
  };
}

async function handle(ffmpeg: Ffmpeg, videoSource = source, events = recordingEvents()) {
  const store = memoryStore();
  const { lines, log } = recorder();
  const record = sqsRecord('m-1', s3NotificationBody('uploads', 'clips/a.mp4'));
  const run = handleVideoRecord(record, () => 60_000, {
    source: videoSource,
    ffmpeg,
    store,
    render: renderThumbnails,
    sqs: new SQSClient({}),
    settings,
    log,
    events,
  });
  return { run, store, lines, events };
}

describe('a videos-queue record', () => {
  beforeEach(() => {
    sqs.reset();
    sqs.on(SendMessageCommand).resolves({}).on(DeleteMessageCommand).resolves({});
  });

  it('writes the outputs and logs duration, resolution and codec, sending nothing anywhere', async () => {
    const frame = await makeJpeg(64, 48);
    const { run, store, lines } = await handle({ probe: async () => info, frame: async () => frame });
    await run;
    expect(store.written.map(({ key }) => key).sort()).toEqual([
      'clips/a.mp4/75x75.jpg',
      'clips/a.mp4/frames/0.jpg',
      'clips/a.mp4/frames/1.jpg',
      'clips/a.mp4/storyboard.jpg',
      'clips/a.mp4/storyboard.vtt',
    ]);
    expect(lines).toContainEqual({
      message: 'video thumbnails written',
      fields: expect.objectContaining({ outcome: 'success', durationSeconds: 2, resolution: '64x48', codec: 'h264' }),
    });
    expect(sqs.calls()).toEqual([]);
  });

  it('announces the poster sizes and the storyboard sprite in one "Thumbnails Created" event', async () => {
    const frame = await makeJpeg(64, 48);
    const { run, events } = await handle({ probe: async () => info, frame: async () => frame });
    await run;
    expect(events.published).toEqual([
      {
        detailType: 'Thumbnails Created',
        detail: expect.objectContaining({
          bucket: 'uploads',
          key: 'clips/a.mp4',
          thumbnails: [
            {
              bucket: 'thumbs',
              key: 'clips/a.mp4/75x75.jpg',
              width: 64,
              height: 48,
              bytes: expect.any(Number),
              contentType: 'image/jpeg',
            },
            {
              bucket: 'thumbs',
              key: 'clips/a.mp4/storyboard.jpg',
              width: 40,
              height: 15,
              bytes: expect.any(Number),
              contentType: 'image/jpeg',
            },
          ],
        }),
      },
    ]);
  });

  it('is retried, not acknowledged, when EventBridge does not take its event', async () => {
    const frame = await makeJpeg(64, 48);
    const events = recordingEvents();
    events.failWith = new Error('EventBridge refused');
    const { run } = await handle({ probe: async () => info, frame: async () => frame }, source, events);
    await expect(run).rejects.toThrow('EventBridge refused');
    expect(sqs.calls()).toEqual([]);
  });

  it('sends a video that cannot be read to the dead-letter queue with its reason, then deletes it from the videos queue', async () => {
    const unreadable = new UnreadableVideoError('no-video-stream', 'the file has audio but no video stream');
    const { run, events } = await handle({
      probe: () => Promise.reject(unreadable),
      frame: () => Promise.reject(new Error()),
    });
    await run;
    expect(events.published).toEqual([
      {
        detailType: 'Thumbnails Failed',
        detail: expect.objectContaining({ key: 'clips/a.mp4', failureCode: 'no-video-stream', messageId: 'm-1' }),
      },
    ]);
    const [sent] = sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input);
    expect(sent).toMatchObject({
      QueueUrl: DEAD_LETTER_QUEUE_URL,
      MessageBody: s3NotificationBody('uploads', 'clips/a.mp4'),
      MessageAttributes: {
        'failure-code': { DataType: 'String', StringValue: 'no-video-stream' },
        'failure-reason': {
          DataType: 'String',
          StringValue: 'UnreadableVideoError: the file has audio but no video stream',
        },
      },
    });
    expect(sqs.commandCalls(DeleteMessageCommand).map((call) => call.args[0].input.QueueUrl)).toEqual([
      VIDEOS_QUEUE_URL,
    ]);
  });

  it('throws a transient failure, so that SQS delivers the message again, and dead-letters nothing', async () => {
    const throttled = Object.assign(new Error('SlowDown'), { name: 'SlowDown' });
    const { run } = await handle(
      { probe: async () => info, frame: async () => Buffer.alloc(0) },
      {
        locate: () => Promise.reject(throttled),
      },
    );
    await expect(run).rejects.toBe(throttled);
    expect(sqs.calls()).toEqual([]);
  });

  it('acknowledges a video deleted before it was read, logged as skipped', async () => {
    const gone = new ObjectGoneError('s3://uploads/clips/a.mp4 no longer exists');
    const { run, lines } = await handle(
      { probe: async () => info, frame: async () => Buffer.alloc(0) },
      {
        locate: () => Promise.reject(gone),
      },
    );
    await run;
    expect(lines).toContainEqual({
      message: 'object skipped',
      fields: expect.objectContaining({ outcome: 'skipped' }),
    });
    expect(sqs.calls()).toEqual([]);
  });
});
