import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import type { VideoRouter } from '../video/forward';
import { PermanentFailure, RecordDeferredError } from '../errors';
import { deadLetterRecord, type DeadLetterHandOffs } from './dead-letter';
import type { EventPublisher } from './events';
import type { ImageStore } from './image-store';
import { processImageMessage, type LogSink } from './process-message';
import type { Render } from './render-worker';
import type { RenderLimits, ThumbnailSettings } from './settings';

export interface RecordSettings extends ThumbnailSettings {
  readonly imagesQueueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly render: RenderLimits;
  readonly invocationHeadroomMs: number;
}

/**
 * How a record ended when handleRecord returns (it throws for a record to retry): processed (thumbnails
 * written, or nothing to make), or sent to the dead-letter queue and acknowledged.
 */
export type RecordOutcome = 'processed' | 'dead-lettered';

export interface RecordDependencies {
  readonly store: ImageStore;
  readonly render: Render;
  readonly sqs: SQSClient;
  readonly settings: RecordSettings;
  readonly log: LogSink & { warn(message: string, ...extra: Record<string, unknown>[]): void };
  /** Sends uploads recognised as videos to the videos queue (src/video/forward.ts). */
  readonly videos?: VideoRouter;
  /** "Thumbnails Created" and "Thumbnails Failed" go here (src/aws/event-bus.ts on AWS). */
  readonly events: EventPublisher;
  /** Dead letters under way, for a process that may have to exit at once (the worker). */
  readonly handOffs?: DeadLetterHandOffs;
}

/**
 * Time a record must have to be started: its render budget, plus the headroom for its reads and writes
 * and for reporting the batch before the function times out.
 */
export function timeNeededToStart(settings: Pick<RecordSettings, 'render' | 'invocationHeadroomMs'>): number {
  return settings.render.budgetMs + settings.invocationHeadroomMs;
}

/**
 * A check for the start of every invocation. One that starts with less time than a record needs means the
 * function's timeout is below RENDER_BUDGET_MS + INVOCATION_HEADROOM_MS: no record can ever start, and every
 * message would be deferred until SQS moves it to the dead-letter queue. Logged as an error, once per
 * container (the returned function keeps that state).
 */
export function timeoutMisconfigurationCheck(
  settings: Pick<RecordSettings, 'render' | 'invocationHeadroomMs'>,
  log: Pick<LogSink, 'error'>,
): (remainingMsAtStart: number) => void {
  let reported = false;
  return (remainingMsAtStart) => {
    const neededMs = timeNeededToStart(settings);
    if (reported || remainingMsAtStart >= neededMs) return;
    reported = true;
    log.error('misconfigured: the function timeout is too short for any record to start', {
      outcome: 'misconfigured',
      remainingMs: remainingMsAtStart,
      neededMs,
      reason: `the invocation started with ${remainingMsAtStart} ms, under the ${neededMs} ms a record needs (RENDER_BUDGET_MS + INVOCATION_HEADROOM_MS): every message will be deferred until SQS dead-letters it; raise the function timeout or lower those settings`,
    });
  };
}

/**
 * One images-queue record, within the invocation's time:
 * - with less than timeNeededToStart left, it is not started: a RecordDeferredError reports it as
 *   failed, and SQS delivers it again after the retry delay;
 * - its S3 requests are aborted once the invocation is down to half the headroom, kept for reporting
 *   (an aborted request is transient: the record is retried);
 * - a permanent failure (a render stopped over its budget or memory included) is sent to the
 *   dead-letter queue and deleted from the images queue at once, then acknowledged. Its "Thumbnails
 *   Failed" events are put first: if EventBridge does not take them, the record fails (transient) and
 *   stays in the images queue, so no dead letter goes unannounced.
 */
export async function handleRecord(
  record: SQSRecord,
  remainingTimeMs: () => number,
  deps: RecordDependencies,
): Promise<RecordOutcome> {
  const { settings, log } = deps;
  const remainingMs = remainingTimeMs();
  const neededMs = timeNeededToStart(settings);
  if (remainingMs < neededMs) {
    log.info('record deferred: too little time left in this invocation', {
      outcome: 'deferred',
      remainingMs,
      neededMs,
    });
    throw new RecordDeferredError(
      `${remainingMs} ms left in the invocation, under the ${neededMs} ms a record needs (RENDER_BUDGET_MS + INVOCATION_HEADROOM_MS)`,
    );
  }
  const abortSignal = AbortSignal.timeout(Math.max(0, remainingMs - settings.invocationHeadroomMs / 2));
  try {
    await processImageMessage(record.body, {
      store: deps.store,
      render: deps.render,
      videos: deps.videos,
      abortSignal,
      settings,
      log,
      events: deps.events,
    });
    return 'processed';
  } catch (error) {
    if (!(error instanceof PermanentFailure)) throw error;
    // Retrying cannot help: straight to the dead-letter queue with the reason, then acknowledged.
    await deadLetterRecord(record, error, {
      ...deps,
      deadLetterQueueUrl: settings.deadLetterQueueUrl,
      sourceQueueUrl: settings.imagesQueueUrl,
      abortSignal,
    });
    return 'dead-lettered';
  }
}
