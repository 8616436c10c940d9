import {
  describeError,
  ObjectForwardedError,
  ObjectGoneError,
  ObjectSupersededError,
  PermanentFailure,
} from '../errors';
import type { VideoRouter } from '../video/forward';
import { createThumbnails } from './create-thumbnails';
import { thumbnailsCreated, type EventPublisher } from './events';
import type { ThumbnailSettings } from './settings';
import type { ImageStore } from './image-store';
import type { Render } from './render-worker';
import { parseImageMessage } from './s3-event';

/** The part of a structured logger (Powertools Logger) this module writes to. */
export interface LogSink {
  info(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

export interface MessageDependencies {
  readonly store: ImageStore;
  readonly render: Render;
  /** Aborts the message's S3 requests when its time is up. */
  readonly abortSignal?: AbortSignal;
  readonly settings: ThumbnailSettings;
  readonly log: LogSink;
  /** Sends uploads recognised as videos to the videos queue. */
  readonly videos?: VideoRouter;
  /** "Thumbnails Created" goes here once an object's thumbnails are written. */
  readonly events: EventPublisher;
  readonly now?: () => number;
}

/**
 * Handles one images-queue message: every object it names gets its thumbnails, with one log line per
 * object (`outcome`: success, skipped or failure). Then, if any object failed:
 * - transiently (S3 throttling, network, ...): throws that error, so SQS redelivers the message;
 * - only permanently (not an image, too large, ...): throws a PermanentFailure, which the handler sends
 *   to the dead-letter queue at once instead of burning retries.
 * Objects that already succeeded are simply redone on redelivery (same keys, same bytes).
 *
 * Each object's "Thumbnails Created" event is put after its thumbnails are written. If EventBridge does
 * not take it, the object counts as a transient failure: the thumbnails stay, the message is retried, and
 * the retry writes the same bytes again and puts the event again. An object is never acknowledged
 * without its event (a retry can repeat an event, as EventBridge itself may: at least once).
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
    if (source.bucket === deps.settings.thumbnailsBucket) {
      // Only a misconfigured notification could send these; processing them would loop forever.
      deps.log.info('object skipped', {
        ...fields,
        outcome: 'skipped',
        reason: 'the object is in the thumbnails bucket; making thumbnails of thumbnails would never end',
      });
      continue;
    }
    let written;
    let durationMs;
    try {
      written = await createThumbnails(source, deps, deps.settings);
      durationMs = now() - startedAt;
      deps.log.info('thumbnails written', {
        ...fields,
        outcome: 'success',
        sourceFormat: written.sourceFormat,
        sizes: written.thumbnails.map(({ width, height }) => `${width}x${height}`),
        keys: written.thumbnails.map(({ key }) => key),
        durationMs,
      });
    } catch (error) {
      if (error instanceof ObjectForwardedError) {
        deps.log.info('video sent to the videos queue', { ...fields, outcome: 'forwarded', reason: error.message });
        continue;
      }
      if (error instanceof ObjectGoneError || error instanceof ObjectSupersededError) {
        // Deleted, or overwritten, before we got to it: nothing to make for this notification, and
        // retrying will not change that (an overwrite has a notification of its own).
        deps.log.info('object skipped', { ...fields, outcome: 'skipped', reason: describeError(error) });
        continue;
      }
      deps.log.error('thumbnails failed', {
        ...fields,
        outcome: 'failure',
        permanent: error instanceof PermanentFailure,
        reason: describeError(error),
        durationMs: now() - startedAt,
      });
      failures.push(error);
      continue;
    }
    try {
      const thumbnails = written.thumbnails.map((thumbnail) => ({
        bucket: deps.settings.thumbnailsBucket,
        ...thumbnail,
      }));
      await deps.events.publish([thumbnailsCreated(source, thumbnails, durationMs)], { abortSignal: deps.abortSignal });
    } catch (error) {
      deps.log.error('thumbnails written, but their event was not published; the message will be retried', {
        ...fields,
        outcome: 'event-not-published',
        reason: describeError(error),
      });
      failures.push(error);
    }
  }

  const transient = failures.filter((error) => !(error instanceof PermanentFailure));
  if (transient.length > 0) {
    throw transient.length === 1
      ? transient[0]
      : new AggregateError(transient, `${transient.length} of ${message.objects.length} objects failed`);
  }
  const permanent = failures as PermanentFailure[];
  if (permanent.length === 1) throw permanent[0];
  if (permanent.length > 1) {
    const reasons = permanent.map((error) => error.message).join('; ');
    throw new PermanentFailure(permanent[0]!.code, `${permanent.length} objects cannot be processed: ${reasons}`);
  }
}
