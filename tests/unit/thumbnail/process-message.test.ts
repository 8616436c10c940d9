import type { ImageStore, StoredThumbnail } from '../../../src/thumbnail/image-store';
import { processImageMessage, type LogSink } from '../../../src/thumbnail/process-message';
import { InvalidMessageError } from '../../../src/thumbnail/s3-event';
import { parseBoxSizes } from '../../../src/thumbnail/sizes';
import { UnreadableImageError } from '../../../src/thumbnail/transform';
import { makeJpeg } from '../../../scripts/lib/sample-images';
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

function memoryStore(objects: Record<string, Buffer>): ImageStore & { written: StoredThumbnail[] } {
  const written: StoredThumbnail[] = [];
  return {
    written,
    read: async (bucket, key) => {
      const body = objects[`${bucket}/${key}`];
      if (!body) throw new Error(`NoSuchKey: ${bucket}/${key}`);
      return body;
    },
    write: async (object) => {
      written.push(object);
    },
  };
}

const settings = { thumbnailsBucket: 'thumbs', sizes: parseBoxSizes('75x75,125x125'), jpegQuality: 80 };

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

  it('still processes the good objects of a message that names a bad one, then fails it', async () => {
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
        reason: expect.stringMatching(/^UnreadableImageError: not a decodable image/),
        durationMs: 5,
      },
    });
    expect(log.lines[1]).toMatchObject({ message: 'thumbnails written', fields: { key: 'good.jpg' } });
  });

  it('reports every failed object of a message', async () => {
    const store = memoryStore({});
    const processing = processImageMessage(s3NotificationBody('images', 'x.jpg', 'y.jpg'), {
      store,
      settings,
      log: recordingLog(),
    });
    await expect(processing).rejects.toThrow('2 of 2 objects failed');
  });
});
