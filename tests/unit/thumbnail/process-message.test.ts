import { PermanentFailure } from '../../../src/errors';
import { ObjectGoneError } from '../../../src/errors';
import type { ImageStore, StoredThumbnail } from '../../../src/thumbnail/image-store';
import { ImageTooLargeError, UnreadableImageError } from '../../../src/errors';
import { processImageMessage, type LogSink } from '../../../src/thumbnail/process-message';
import { InvalidMessageError } from '../../../src/errors';
import { parseBoxSizes } from '../../../src/thumbnail/sizes';
import { makeJpeg } from '../../support/sample-images';
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
    read: async (bucket, key) => {
      reads.push(`${bucket}/${key}`);
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
  sizes: parseBoxSizes('75x75,125x125'),
  jpegQuality: 80,
  maxImageBytes: 5_000_000,
  maxImagePixels: 1_000_000,
};

describe('processImageMessage', () => {
  let clock: number;
  const now = () => (clock += 5);
  beforeEach(() => {
    clock = 0;
  });

  it('writes every size of every object and logs one line per object', async () => {
    const store = memoryStore({ 'images/a b.jpg': await makeJpeg(300, 200), 'images/c.jpg': await makeJpeg(20, 20) });
    const log = recordingLog();

    await processImageMessage(s3NotificationBody('images', 'a b.jpg', 'c.jpg'), { store, settings, log, now });

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

    await expect(processImageMessage(S3_TEST_EVENT_BODY, { store, settings, log })).resolves.toBeUndefined();

    expect(store.written).toEqual([]);
    expect(log.lines).toEqual([
      { level: 'info', message: 'S3 test event acknowledged', fields: { outcome: 'ignored' } },
    ]);
  });

  it('fails a body that is not an S3 event, with a clear log line', async () => {
    const log = recordingLog();

    await expect(processImageMessage('{"hello":"world"}', { store: memoryStore({}), settings, log })).rejects.toThrow(
      InvalidMessageError,
    );
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
      settings,
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
        reason: 'UnreadableImageError: not an image in a known format (JPEG, PNG, GIF, BMP, TIFF)',
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
      settings,
      log: recordingLog(),
    });
    await expect(processing).rejects.toThrow('Please reduce your request rate.');
    await expect(processing).rejects.not.toBeInstanceOf(PermanentFailure);
  });

  it('reports every transient failure of a message', async () => {
    const store = memoryStore({ 'images/x.jpg': new Error('socket hang up'), 'images/y.jpg': new Error('503') });
    const processing = processImageMessage(s3NotificationBody('images', 'x.jpg', 'y.jpg'), {
      store,
      settings,
      log: recordingLog(),
    });
    await expect(processing).rejects.toThrow('2 of 2 objects failed');
  });

  it('combines the reasons when several objects of a message can never be processed', async () => {
    const store = memoryStore({ 'images/a.jpg': Buffer.alloc(0), 'images/b.jpg': Buffer.from('text') });
    const processing = processImageMessage(s3NotificationBody('images', 'a.jpg', 'b.jpg'), {
      store,
      settings,
      log: recordingLog(),
    });
    await expect(processing).rejects.toBeInstanceOf(PermanentFailure);
    await expect(processing).rejects.toThrow(/2 objects cannot be processed: the object is empty .*; not an image/);
  });

  it('acknowledges an object deleted before it was processed, without retrying', async () => {
    const log = recordingLog();
    await expect(
      processImageMessage(s3NotificationBody('images', 'gone.jpg'), { store: memoryStore({}), settings, log }),
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

    await processImageMessage(s3NotificationBody('thumbs', 'a.jpg/75x75.jpg'), { store, settings, log });

    expect(store.reads).toEqual([]);
    expect(store.written).toEqual([]);
    expect(log.lines[0]).toMatchObject({ message: 'object skipped', fields: { outcome: 'skipped' } });
  });

  it('refuses an object larger than the byte limit from its notification, without downloading it', async () => {
    const store = memoryStore({ 'images/huge.jpg': await makeJpeg(10, 10) });
    const body = JSON.parse(s3NotificationBody('images', 'huge.jpg'));
    body.Records[0].s3.object.size = 6_000_000;

    const processing = processImageMessage(JSON.stringify(body), { store, settings, log: recordingLog() });

    await expect(processing).rejects.toBeInstanceOf(ImageTooLargeError);
    await expect(processing).rejects.toThrow(
      'the object is 6,000,000 bytes, over the limit of 5,000,000 (MAX_IMAGE_BYTES)',
    );
    expect(store.reads).toEqual([]);
  });
});
