import { PermanentFailure } from '../../../src/errors';
import { ObjectGoneError, ObjectSupersededError } from '../../../src/errors';
import type { ImageStore, StoredThumbnail } from '../../../src/thumbnail/image-store';
import { ImageTooLargeError, UnreadableImageError } from '../../../src/errors';
import { processImageMessage, type LogSink } from '../../../src/thumbnail/process-message';
import { InvalidMessageError } from '../../../src/errors';
import { parseBoundingBoxes } from '../../../src/thumbnail/sizes';
import { renderThumbnails as render, renderThumbnails as renderThumbnailsInThread } from '../../../src/images/render';
import { makeJpeg } from '../../support/sample-images';
import { recordingEvents } from '../../support/recording-events';
import { S3_TEST_EVENT_BODY, s3NotificationBody } from '../../support/s3-events';

interface LogLine {
  level: 'info' | 'error';
  message: string;
  fields: Record<string, unknown>;
}

function recordingLog(): LogSink & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  return {
    lines,
    info: (message, ...extra) => lines.push({ level: 'info', message, fields: Object.assign({}, ...extra) }),
    error: (message, ...extra) => lines.push({ level: 'error', message, fields: Object.assign({}, ...extra) }),
  };
}

/** Objects by `bucket/key`; an Error value is thrown when the object is read. */
function memoryStore(
  objects: Record<string, Buffer | Error>,
): ImageStore & { written: StoredThumbnail[]; reads: string[] } {
  const written: StoredThumbnail[] = [];
  const reads: string[] = [];
  return {
    written,
    reads,
    read: async (bucket, key, _maxBytes, options) => {
      reads.push(options?.eTag === undefined ? `${bucket}/${key}` : `${bucket}/${key}@${options.eTag}`);
      const body = objects[`${bucket}/${key}`];
      if (body instanceof Error) throw body;
      if (!body) throw new ObjectGoneError(`s3://${bucket}/${key} no longer exists`);
      return body;
    },
    write: async (object) => {
      written.push(object);
    },
  };
}

const settings = {
  thumbnailsBucket: 'thumbs',
  sizes: parseBoundingBoxes('75x75,125x125'),
  outputFormat: 'auto' as const,
  quality: 80,
  maxDecodeBytes: 600 * 2 ** 20,
  maxImageBytes: 5_000_000,
  maxImagePixels: 1_000_000,
};

describe('processImageMessage', () => {
  let clock: number;
  const now = () => (clock += 5);
  let events: ReturnType<typeof recordingEvents>;
  beforeEach(() => {
    clock = 0;
    events = recordingEvents();
  });

  it('puts one "Thumbnails Created" event per object, with every thumbnail and the duration', async () => {
    const store = memoryStore({
      'images/a b.jpg': await makeJpeg(300, 200),
      'images/logo.png': await makeJpeg(20, 20),
    });

    await processImageMessage(s3NotificationBody('images', 'a b.jpg', 'logo.png'), {
      store,
      render,
      settings,
      events,
      log: recordingLog(),
      now,
    });

    expect(events.published).toEqual([
      {
        detailType: 'Thumbnails Created',
        detail: {
          bucket: 'images',
          key: 'a b.jpg',
          eTag: 'etag',
          thumbnails: [
            {
              bucket: 'thumbs',
              key: 'a b.jpg/75x75.jpg',
              width: 75,
              height: 50,
              bytes: store.written[0]!.body.length,
              contentType: 'image/jpeg',
            },
            {
              bucket: 'thumbs',
              key: 'a b.jpg/125x125.jpg',
              width: 125,
              height: 83,
              bytes: store.written[1]!.body.length,
              contentType: 'image/jpeg',
            },
          ],
          durationMs: 5,
        },
      },
      expect.objectContaining({
        detailType: 'Thumbnails Created',
        detail: expect.objectContaining({ key: 'logo.png' }),
      }),
    ]);
    expect(store.written[0]!.body.length).toBeGreaterThan(0);
  });

  it('puts no event for an object that failed, was skipped, or a test event', async () => {
    const store = memoryStore({ 'images/bad.jpg': Buffer.from('nope') });

    await expect(
      processImageMessage(s3NotificationBody('images', 'bad.jpg', 'gone.jpg'), {
        store,
        render,
        settings,
        events,
        log: recordingLog(),
      }),
    ).rejects.toThrow(UnreadableImageError);
    await processImageMessage(S3_TEST_EVENT_BODY, { store, render, settings, events, log: recordingLog() });

    expect(events.published).toEqual([]);
  });

  it('keeps the thumbnails but fails the message, for SQS to retry, when the event cannot be published', async () => {
    const store = memoryStore({ 'images/a.jpg': await makeJpeg(100, 100) });
    const log = recordingLog();
    events.failWith = new Error('ThrottlingException: Rate exceeded');

    const processing = processImageMessage(s3NotificationBody('images', 'a.jpg'), {
      store,
      render,
      settings,
      events,
      log,
    });

    await expect(processing).rejects.toThrow('ThrottlingException: Rate exceeded');
    await expect(processing).rejects.not.toBeInstanceOf(PermanentFailure);
    expect(store.written.map(({ key }) => key)).toEqual(['a.jpg/75x75.jpg', 'a.jpg/125x125.jpg']);
    expect(log.lines.map(({ level, fields }) => [level, fields.outcome])).toEqual([
      ['info', 'success'],
      ['error', 'event-not-published'],
    ]);
    expect(log.lines[1]!.fields.reason).toBe('Error: ThrottlingException: Rate exceeded');
  });

  it('writes every size of every object and logs one line per object', async () => {
    const store = memoryStore({ 'images/a b.jpg': await makeJpeg(300, 200), 'images/c.jpg': await makeJpeg(20, 20) });
    const log = recordingLog();

    await processImageMessage(s3NotificationBody('images', 'a b.jpg', 'c.jpg'), {
      store,
      render,
      settings,
      events,
      log,
      now,
    });

    expect(store.written.map(({ bucket, key, contentType }) => [bucket, key, contentType])).toEqual([
      ['thumbs', 'a b.jpg/75x75.jpg', 'image/jpeg'],
      ['thumbs', 'a b.jpg/125x125.jpg', 'image/jpeg'],
      ['thumbs', 'c.jpg/75x75.jpg', 'image/jpeg'],
      ['thumbs', 'c.jpg/125x125.jpg', 'image/jpeg'],
    ]);
    expect(store.written[0]!.metadata).toEqual({ 'source-bucket': 'images', 'source-key': 'a%20b.jpg' });
    expect(log.lines).toEqual([
      {
        level: 'info',
        message: 'thumbnails written',
        fields: {
          bucket: 'images',
          key: 'a b.jpg',
          outcome: 'success',
          sourceFormat: 'jpeg',
          sizes: ['75x50', '125x83'],
          keys: ['a b.jpg/75x75.jpg', 'a b.jpg/125x125.jpg'],
          durationMs: 5,
        },
      },
      expect.objectContaining({ fields: expect.objectContaining({ key: 'c.jpg', sizes: ['20x20', '20x20'] }) }),
    ]);
  });

  it('acknowledges the S3 test event without touching S3', async () => {
    const store = memoryStore({});
    const log = recordingLog();

    await expect(
      processImageMessage(S3_TEST_EVENT_BODY, { store, render, settings, events, log }),
    ).resolves.toBeUndefined();

    expect(store.written).toEqual([]);
    expect(log.lines).toEqual([
      { level: 'info', message: 'S3 test event acknowledged', fields: { outcome: 'ignored' } },
    ]);
  });

  it('fails a body that is not an S3 event, with a clear log line', async () => {
    const log = recordingLog();

    await expect(
      processImageMessage('{"hello":"world"}', { store: memoryStore({}), render, settings, events, log }),
    ).rejects.toThrow(InvalidMessageError);
    expect(log.lines).toEqual([
      {
        level: 'error',
        message: 'message rejected',
        fields: {
          outcome: 'rejected',
          reason: 'InvalidMessageError: message body is not an S3 event notification (no Records array)',
        },
      },
    ]);
  });

  it('still processes the good objects of a message that names a bad one, then fails it permanently', async () => {
    const store = memoryStore({ 'images/good.jpg': await makeJpeg(100, 100), 'images/bad.jpg': Buffer.from('nope') });
    const log = recordingLog();

    const processing = processImageMessage(s3NotificationBody('images', 'bad.jpg', 'good.jpg'), {
      store,
      render,
      settings,
      events,
      log,
      now,
    });

    await expect(processing).rejects.toThrow(UnreadableImageError);
    expect(store.written.map(({ key }) => key)).toEqual(['good.jpg/75x75.jpg', 'good.jpg/125x125.jpg']);
    expect(log.lines[0]).toEqual({
      level: 'error',
      message: 'thumbnails failed',
      fields: {
        bucket: 'images',
        key: 'bad.jpg',
        outcome: 'failure',
        permanent: true,
        reason: expect.stringMatching(/^UnreadableImageError: not an image in a supported format/),
        durationMs: 5,
      },
    });
    expect(log.lines[1]).toMatchObject({ message: 'thumbnails written', fields: { key: 'good.jpg' } });
  });

  it('retries a message when any object failed transiently, even if another failed permanently', async () => {
    const store = memoryStore({
      'images/bad.jpg': Buffer.from('nope'),
      'images/slow.jpg': Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown' }),
    });
    const processing = processImageMessage(s3NotificationBody('images', 'bad.jpg', 'slow.jpg'), {
      store,
      render,
      settings,
      events,
      log: recordingLog(),
    });
    await expect(processing).rejects.toThrow('Please reduce your request rate.');
    await expect(processing).rejects.not.toBeInstanceOf(PermanentFailure);
  });

  it('reports every transient failure of a message', async () => {
    const store = memoryStore({ 'images/x.jpg': new Error('socket hang up'), 'images/y.jpg': new Error('503') });
    const processing = processImageMessage(s3NotificationBody('images', 'x.jpg', 'y.jpg'), {
      store,
      render,
      settings,
      events,
      log: recordingLog(),
    });
    await expect(processing).rejects.toThrow('2 of 2 objects failed');
  });

  it('combines the reasons when several objects of a message can never be processed', async () => {
    const store = memoryStore({ 'images/a.jpg': Buffer.alloc(0), 'images/b.jpg': Buffer.from('text') });
    const processing = processImageMessage(s3NotificationBody('images', 'a.jpg', 'b.jpg'), {
      store,
      render,
      settings,
      events,
      log: recordingLog(),
    });
    await expect(processing).rejects.toBeInstanceOf(PermanentFailure);
    await expect(processing).rejects.toThrow(/2 objects cannot be processed: the object is empty .*; not an image/);
  });

  it('acknowledges an object deleted before it was processed, without retrying', async () => {
    const log = recordingLog();
    await expect(
      processImageMessage(s3NotificationBody('images', 'gone.jpg'), {
        store: memoryStore({}),
        render,
        settings,
        events,
        log,
      }),
    ).resolves.toBeUndefined();
    expect(log.lines).toEqual([
      {
        level: 'info',
        message: 'object skipped',
        fields: {
          bucket: 'images',
          key: 'gone.jpg',
          outcome: 'skipped',
          reason: 'ObjectGoneError: s3://images/gone.jpg no longer exists',
        },
      },
    ]);
  });

  it('never processes objects of the thumbnails bucket, which would loop', async () => {
    const store = memoryStore({ 'thumbs/a.jpg/75x75.jpg': await makeJpeg(75, 50) });
    const log = recordingLog();

    await processImageMessage(s3NotificationBody('thumbs', 'a.jpg/75x75.jpg'), {
      store,
      render,
      settings,
      events,
      log,
    });

    expect(store.reads).toEqual([]);
    expect(store.written).toEqual([]);
    expect(log.lines[0]).toMatchObject({ message: 'object skipped', fields: { outcome: 'skipped' } });
  });

  it('refuses an object larger than the byte limit from its notification, without downloading it', async () => {
    const store = memoryStore({ 'images/huge.jpg': await makeJpeg(10, 10) });
    const body = JSON.parse(s3NotificationBody('images', 'huge.jpg'));
    body.Records[0].s3.object.size = 6_000_000;

    const processing = processImageMessage(JSON.stringify(body), {
      store,
      render,
      settings,
      events,
      log: recordingLog(),
    });

    await expect(processing).rejects.toBeInstanceOf(ImageTooLargeError);
    await expect(processing).rejects.toThrow(
      'the object is 6,000,000 bytes, over the limit of 5,000,000 (MAX_IMAGE_BYTES)',
    );
    expect(store.reads).toEqual([]);
  });
  it('reads the bytes the notification names (its ETag), not whatever the key holds now', async () => {
    const store = memoryStore({ 'images/a.jpg': await makeJpeg(20, 20) });
    const body = JSON.parse(s3NotificationBody('images', 'a.jpg'));
    body.Records[0].s3.object.eTag = '0123abcd';

    await processImageMessage(JSON.stringify(body), { store, render, settings, events, log: recordingLog() });

    expect(store.reads).toEqual(['images/a.jpg@0123abcd']);
  });

  it('acknowledges, with a log line, an object overwritten since its notification: the newer upload has its own', async () => {
    const superseded = new ObjectSupersededError('s3://images/old.jpg was overwritten after this notification');
    const store = memoryStore({ 'images/old.jpg': superseded, 'images/new.jpg': await makeJpeg(20, 20) });
    const log = recordingLog();

    await expect(
      processImageMessage(s3NotificationBody('images', 'old.jpg', 'new.jpg'), { store, render, settings, events, log }),
    ).resolves.toBeUndefined();

    expect(store.written.map(({ key }) => key)).toEqual(['new.jpg/75x75.jpg', 'new.jpg/125x125.jpg']);
    expect(log.lines[0]).toEqual({
      level: 'info',
      message: 'object skipped',
      fields: {
        bucket: 'images',
        key: 'old.jpg',
        outcome: 'skipped',
        reason: 'ObjectSupersededError: s3://images/old.jpg was overwritten after this notification',
      },
    });
  });

  it.each([
    // 240 CJK characters: 720 bytes of key, but 2,160 bytes once URL-encoded into the metadata.
    ['metadata-too-large', '写'.repeat(240)],
    ['key-too-long', 'k'.repeat(1015)],
  ])('refuses a key whose thumbnails S3 cannot store (%s) before reading or decoding anything', async (code, key) => {
    const store = memoryStore({ [`images/${key}`]: await makeJpeg(20, 20) });
    const render = jest.fn(renderThumbnailsInThread);

    const processing = processImageMessage(s3NotificationBody('images', key), {
      store,
      render,
      settings,
      events,
      log: recordingLog(),
    });

    await expect(processing).rejects.toMatchObject({ code });
    expect(store.reads).toEqual([]);
    expect(render).not.toHaveBeenCalled();
    expect(store.written).toEqual([]);
  });
});
