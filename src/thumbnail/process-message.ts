import { describeError } from '../errors';
import { createThumbnails, type ThumbnailSettings } from './create-thumbnails';
import type { ImageStore } from './image-store';
import { parseImageMessage } from './s3-event';

/** The part of a structured logger (Powertools Logger) this module writes to. */
export interface LogSink {
  info(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

export interface MessageDependencies {
  readonly store: ImageStore;
  readonly settings: ThumbnailSettings;
  readonly log: LogSink;
  readonly now?: () => number;
}

/**
 * Handles one images-queue message: every object it names gets its thumbnails, with one log line per
 * object. Throws if anything failed, so that SQS redelivers the message (and, after maxReceiveCount
 * receives, moves it to the dead-letter queue); objects that already succeeded are simply redone.
 */
export async function processImageMessage(body: string, deps: MessageDependencies): Promise<void> {
  const now = deps.now ?? Date.now;
  let message;
  try {
    message = parseImageMessage(body);
  } catch (error) {
    deps.log.error('message rejected', { outcome: 'rejected', reason: describeError(error) });
    throw error;
  }
  if (message.kind === 'test-event') {
    deps.log.info('S3 test event acknowledged', { outcome: 'ignored' });
    return;
  }

  const failures: unknown[] = [];
  for (const source of message.objects) {
    const startedAt = now();
    const fields = { bucket: source.bucket, key: source.key };
    try {
      const written = await createThumbnails(source, deps.store, deps.settings);
      deps.log.info('thumbnails written', {
        ...fields,
        outcome: 'success',
        sizes: written.map(({ width, height }) => `${width}x${height}`),
        keys: written.map(({ key }) => key),
        durationMs: now() - startedAt,
      });
    } catch (error) {
      deps.log.error('thumbnails failed', {
        ...fields,
        outcome: 'failure',
        reason: describeError(error),
        durationMs: now() - startedAt,
      });
      failures.push(error);
    }
  }
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) {
    throw new AggregateError(failures, `${failures.length} of ${message.objects.length} objects failed`);
  }
}
