import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { SQS_BATCH_SIZE } from '../aws/change-visibility';
import { scheduleRetries } from '../thumbnail/retry-backoff';
import type { RetryPolicy } from '../thumbnail/settings';
import { RECEIVE_MESSAGE_ATTRIBUTES, RECEIVE_SYSTEM_ATTRIBUTES, toSqsRecord } from './sqs-record';
import type { MessageOutcome } from './stats';
import { keepInvisible, type VisibilityHeartbeat } from './visibility-heartbeat';

/**
 * Handles one record as the thumbnail function does; resolves with whether it ended as thumbnails or as
 * a dead letter, and throws for a transient failure (left to SQS to deliver again).
 * `remainingTimeMs`: until the message would become visible again, as the function's remaining time.
 */
export type RecordHandler = (
  record: SQSRecord,
  remainingTimeMs: () => number,
) => Promise<Extract<MessageOutcome, 'succeeded' | 'dead-lettered'>>;

export interface WorkerLoopEvents {
  /** A message was received and its work started. */
  received?(record: SQSRecord): void;
  /** A message's work ended; `error` is the transient failure of a retried one. */
  finished?(record: SQSRecord, outcome: MessageOutcome, error?: unknown): void;
  /** Something SQS refused that does not lose the message (it may come back sooner or later than planned). */
  warning?(message: string, error: unknown): void;
}

export interface WorkerLoopOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  /** Messages worked on at once. */
  readonly concurrency: number;
  /** Long poll of each receive. */
  readonly waitTimeSeconds: number;
  /** Visibility timeout of each receive, renewed while a message is worked on (visibility-heartbeat.ts). */
  readonly visibilityTimeoutSeconds: number;
  /** The thumbnail function's retry policy: a transient failure comes back after the same delays. */
  readonly retry: RetryPolicy;
  /** Stop once a receive finds nothing and nothing is in flight (drain the queue). */
  readonly once: boolean;
  /** After `stop`, how long in-flight messages may finish before they are released (visibility 0). */
  readonly shutdownGraceMs: number;
  readonly handle: RecordHandler;
  readonly events?: WorkerLoopEvents;
  readonly now?: () => number;
  /** For the records' eventSourceARN and awsRegion, which the record handling does not use. */
  readonly queueArn?: string;
  readonly region?: string;
}

/** A pause after a receive SQS refused (throttling, network), so a failing endpoint is not hammered. */
const RECEIVE_ERROR_PAUSE_MS = 2_000;

interface InFlight {
  readonly record: SQSRecord;
  readonly heartbeat: VisibilityHeartbeat;
  done: Promise<void>;
  /** Set when shutdown released the message: whatever its work does afterwards is not reported. */
  released: boolean;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

function abortedPromise(signal: AbortSignal): Promise<'stopped'> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve('stopped');
    else signal.addEventListener('abort', () => resolve('stopped'), { once: true });
  });
}

/**
 * Consumes the images queue from a long-running process, with the thumbnail function's own record
 * handling: receive (long poll) as many messages as there are free slots, keep each hidden while it is
 * worked on, then delete it (thumbnails or a dead letter) or, after a transient failure, set its
 * visibility to the function's retry delay so SQS delivers it again with the same backoff and counts it
 * towards maxReceiveCount. Returns when `stop` is aborted (after in-flight messages finish, or are
 * released when `shutdownGraceMs` runs out) or, with `once`, when the queue is drained.
 */
export async function runWorkerLoop(options: WorkerLoopOptions, stop: AbortSignal): Promise<void> {
  const { sqs, queueUrl, events = {} } = options;
  const now = options.now ?? Date.now;
  const inFlight = new Set<InFlight>();
  const stopped = abortedPromise(stop);

  const warn = (message: string, error: unknown) => events.warning?.(message, error);

  /** Makes messages visible again at once: nobody waits out a timeout for work this worker will not do. */
  const release = async (receiptHandles: readonly string[]) => {
    await Promise.all(
      receiptHandles.map((receiptHandle) =>
        sqs
          .send(
            new ChangeMessageVisibilityCommand({
              QueueUrl: queueUrl,
              ReceiptHandle: receiptHandle,
              VisibilityTimeout: 0,
            }),
          )
          .catch((error: unknown) =>
            warn('could not release a message; it comes back when its visibility runs out', error),
          ),
      ),
    );
  };

  const work = async (entry: InFlight) => {
    const { record, heartbeat } = entry;
    let outcome: Extract<MessageOutcome, 'succeeded' | 'dead-lettered'>;
    try {
      outcome = await options.handle(record, () => heartbeat.visibleAtMs - now());
    } catch (error) {
      // Stopped first, so no extension can land after the retry delay is set.
      await heartbeat.stop();
      if (entry.released) return;
      try {
        await scheduleRetries(sqs, queueUrl, [record], options.retry);
      } catch (retryError) {
        warn('could not shorten the retry delay; the message waits out its visibility timeout', retryError);
      }
      events.finished?.(record, 'retried', error);
      return;
    }
    await heartbeat.stop();
    if (entry.released) return;
    try {
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: record.receiptHandle }));
    } catch (error) {
      // Not lost: SQS delivers it again and it is done again (same keys, same bytes).
      warn('could not delete a finished message; SQS will deliver it again', error);
    }
    events.finished?.(record, outcome);
  };

  const start = (message: Message, receivedAtMs: number) => {
    const record = toSqsRecord(message, options.queueArn ?? '', options.region ?? '');
    const heartbeat = keepInvisible({
      sqs,
      queueUrl,
      receiptHandle: record.receiptHandle,
      holdSeconds: options.visibilityTimeoutSeconds,
      receivedAtMs,
      now,
      onError: (error) => warn(`could not extend the visibility of message ${record.messageId}`, error),
    });
    const entry: InFlight = { record, heartbeat, released: false, done: Promise.resolve() };
    inFlight.add(entry);
    events.received?.(record);
    entry.done = work(entry)
      .catch((error: unknown) => warn(`the work on message ${record.messageId} failed unexpectedly`, error))
      .finally(() => inFlight.delete(entry));
  };

  /** One receive; resolves with nothing when `stop` comes first (what it still returns is released). */
  const receive = async (max: number): Promise<Message[] | undefined> => {
    const abort = new AbortController();
    const onStop = () => abort.abort();
    stop.addEventListener('abort', onStop, { once: true });
    const receiving = sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: max,
        WaitTimeSeconds: options.waitTimeSeconds,
        VisibilityTimeout: options.visibilityTimeoutSeconds,
        MessageSystemAttributeNames: [...RECEIVE_SYSTEM_ATTRIBUTES],
        MessageAttributeNames: [...RECEIVE_MESSAGE_ATTRIBUTES],
      }),
      { abortSignal: abort.signal },
    );
    try {
      const first = await Promise.race([receiving, stopped]);
      if (first === 'stopped') {
        // An aborted receive normally returns nothing; should messages still arrive, they are released.
        const late = await receiving.catch(() => undefined);
        const handles = (late?.Messages ?? []).flatMap((m) => (m.ReceiptHandle ? [m.ReceiptHandle] : []));
        await release(handles);
        return undefined;
      }
      return first.Messages ?? [];
    } finally {
      stop.removeEventListener('abort', onStop);
    }
  };

  while (!stop.aborted) {
    const free = options.concurrency - inFlight.size;
    if (free <= 0) {
      await Promise.race([...[...inFlight].map((entry) => entry.done), stopped]);
      continue;
    }
    const receivedAtMs = now();
    let messages: Message[] | undefined;
    try {
      messages = await receive(Math.min(SQS_BATCH_SIZE, free));
    } catch (error) {
      warn('receive failed; trying again shortly', error);
      await sleep(RECEIVE_ERROR_PAUSE_MS, stop);
      continue;
    }
    if (messages === undefined) break;
    if (messages.length === 0) {
      if (options.once && inFlight.size === 0) break;
      continue;
    }
    for (const message of messages) start(message, receivedAtMs);
  }

  // Stopped (a drained queue leaves nothing in flight): in-flight work may finish within the grace
  // period; what is still running then is released.
  if (inFlight.size === 0) return;
  const graceOver = new AbortController();
  const finishedInTime = await Promise.race([
    Promise.all([...inFlight].map((entry) => entry.done)).then(() => true),
    sleep(options.shutdownGraceMs, graceOver.signal).then(() => false),
  ]);
  graceOver.abort();
  if (finishedInTime) return;
  const unfinished = [...inFlight];
  for (const entry of unfinished) entry.released = true;
  await Promise.all(unfinished.map((entry) => entry.heartbeat.stop()));
  await release(unfinished.map((entry) => entry.record.receiptHandle));
  for (const entry of unfinished) events.finished?.(entry.record, 'released');
}
