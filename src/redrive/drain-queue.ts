import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { changeVisibility, SQS_BATCH_SIZE } from '../aws/change-visibility';
import { describeError } from '../errors';
import type { Clock } from './clock';
import { reasonOf, receiveAttributes, requeueAttributes, sampleOf, sentAt } from './dead-letter-message';
import { RateLimit } from './rate-limit';
import type { RedriveRequest } from './request';
import type { RedriveLimits, RedriveSample, RedriveSummary, StopReason } from './types';

export interface DrainOptions {
  readonly sqs: SQSClient;
  readonly sourceQueueUrl: string;
  readonly targetQueueUrl: string;
  readonly request: RedriveRequest;
  readonly limits: RedriveLimits;
  readonly clock: Clock;
  /** The invocation's remaining time in ms (Lambda's context.getRemainingTimeInMillis). */
  readonly remainingMs: () => number;
}

/** SQS's longest visibility timeout, 12 hours. */
const MAX_VISIBILITY_SECONDS = 43_200;

class Run {
  found = 0;
  moved = 0;
  failed = 0;
  notDeleted = 0;
  notMatching = 0;
  arrivedDuringRun = 0;
  reasons: Record<string, number> = {};
  samples: RedriveSample[] = [];
  /** Messages received, repeats included. */
  received = 0;
  /** MessageIds looked at: a message made visible again (not matching) may be received again. */
  readonly seen = new Set<string>();
  /** Received, not moved, and hidden until the run ends; then made visible again. */
  readonly held: Message[] = [];

  get attempted(): number {
    return this.moved + this.failed;
  }
}

function nextStep(summary: Omit<RedriveSummary, 'next'>): string {
  if (summary.dryRun) {
    return summary.inQueueAtStart === 0 && summary.found === 0
      ? 'nothing to move'
      : 'dry run, nothing moved: run it again without "dryRun" to move them';
  }
  switch (summary.stoppedBecause) {
    case 'time-budget':
      return 'time budget used: run it again to move the rest';
    case 'max-messages':
      return 'maxMessages reached: run it again to move more';
    case 'error':
      return 'stopped by an error: fix it, then run it again';
    default:
      if (summary.failed > 0) return 'some sends failed: run it again';
      if (summary.stoppedBecause === 'all-seen') {
        return 'every message there at the start was looked at; run it again if the queue was still filling';
      }
      return summary.arrivedDuringRun > 0
        ? 'done; messages that arrived during the run are left for a later run'
        : 'done';
  }
}

/**
 * Moves dead letters back to the images queue, or in a dry run counts them and shows a few.
 *
 * At least once and never lossy: a batch is sent first, and only the entries SQS confirms as sent are
 * deleted from the source. Returns within the time budget whatever the queue holds (`sls invoke` gives up
 * after 120 s and invokes again), with "run it again" in `next` when there may be more to move. What it
 * receives but does not move stays hidden only as long as needed: messages not matching failureCodes are
 * made visible again at once; those that arrived during the run or that SQS refused to send, until the
 * run ends; a dry run hides what it looks at for seconds and reads the total from the queue's attributes.
 */
export async function drainQueue(options: DrainOptions): Promise<RedriveSummary> {
  const { sqs, sourceQueueUrl, request, limits, clock } = options;
  const run = new Run();
  const startedAt = clock.now();
  const remainingMs = options.remainingMs();
  const deadline = startedAt + Math.min(limits.timeBudgetMs, remainingMs - limits.timeReserveMs);
  // Long enough that nothing received is seen twice in this run: the run cannot outlive the invocation.
  const hold = request.dryRun
    ? limits.dryRunHoldSeconds
    : Math.min(MAX_VISIBILITY_SECONDS, Math.max(1, Math.ceil(remainingMs / 1_000)));
  const rate = new RateLimit(request.perSecond);
  const filter = request.failureCodes;
  const maxMessages = request.maxMessages ?? Infinity;
  let inQueueAtStart = 0;

  const finish = async (stoppedBecause: StopReason, error?: unknown): Promise<RedriveSummary> => {
    let failure = error === undefined ? undefined : describeError(error);
    try {
      await release(run.held);
    } catch (releaseError) {
      failure = `${failure ? `${failure}; ` : ''}${run.held.length} message(s) not made visible again, they are after ${hold} s: ${describeError(releaseError)}`;
    }
    const summary = {
      dryRun: request.dryRun,
      ...(filter ? { failureCodes: filter } : {}),
      inQueueAtStart,
      found: run.found,
      moved: run.moved,
      failed: run.failed,
      notDeleted: run.notDeleted,
      notMatching: run.notMatching,
      arrivedDuringRun: run.arrivedDuringRun,
      reasons: run.reasons,
      ...(request.dryRun ? { samples: run.samples } : {}),
      stoppedBecause,
      ...(failure === undefined ? {} : { error: failure }),
    };
    return { ...summary, next: nextStep(summary) };
  };

  const release = (messages: readonly Message[]) =>
    changeVisibility(
      sqs,
      sourceQueueUrl,
      messages.map((message) => ({ receiptHandle: message.ReceiptHandle, visibilityTimeoutSeconds: 0 })),
    );

  try {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: sourceQueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    inQueueAtStart = Number(Attributes?.ApproximateNumberOfMessages ?? 0);
  } catch (error) {
    return finish('error', error);
  }

  for (;;) {
    let batch: number;
    if (request.dryRun) {
      batch = Math.min(SQS_BATCH_SIZE, limits.dryRunLookAt - run.received);
      if (batch <= 0) return finish('sampled');
    } else {
      batch = rate.batchLimit(Math.min(SQS_BATCH_SIZE, maxMessages - run.attempted));
      if (batch <= 0) return finish('max-messages');
      // Messages not matching are visible again at once, so an empty receive may never come.
      if (filter && run.found >= inQueueAtStart) return finish('all-seen');
    }
    const wait = Math.max(0, rate.earliest(batch) - clock.now());
    if (clock.now() + wait >= deadline) return finish('time-budget');
    if (wait > 0) await clock.sleep(wait);

    let messages: Message[];
    try {
      const received = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: sourceQueueUrl,
          MaxNumberOfMessages: batch,
          ...receiveAttributes(),
          VisibilityTimeout: hold,
          WaitTimeSeconds: limits.waitTimeSeconds,
        }),
      );
      messages = received.Messages ?? [];
    } catch (error) {
      return finish('error', error);
    }
    if (messages.length === 0) return finish('empty');
    run.received += messages.length;

    const toMove: Message[] = [];
    const toRelease: Message[] = [];
    for (const message of messages) {
      const id = message.MessageId ?? message.ReceiptHandle ?? '';
      if (run.seen.has(id)) {
        (request.dryRun ? run.held : toRelease).push(message);
        continue;
      }
      run.seen.add(id);
      if (sentAt(message) >= startedAt) {
        run.arrivedDuringRun += 1;
        run.held.push(message);
        continue;
      }
      const reason = reasonOf(message);
      run.found += 1;
      run.reasons[reason] = (run.reasons[reason] ?? 0) + 1;
      const matches = !filter || filter.includes(reason);
      if (!matches) run.notMatching += 1;
      if (request.dryRun) {
        run.held.push(message);
        if (matches && run.samples.length < limits.maxSamples) run.samples.push(sampleOf(message));
      } else {
        (matches ? toMove : toRelease).push(message);
      }
    }
    try {
      await release(toRelease);
    } catch (error) {
      run.held.push(...toRelease);
      return finish('error', error);
    }
    if (toMove.length === 0) continue;
    rate.record(toMove.length, clock.now());
    const { unsent, error } = await moveBatch(options, toMove, run);
    run.held.push(...unsent);
    if (error !== undefined) return finish('error', error);
  }
}

/**
 * Sends `messages` to the target and deletes those sent from the source. Returns the messages SQS did
 * not take, and the error of a call SQS refused as a whole (which ends the run).
 */
async function moveBatch(
  options: DrainOptions,
  messages: Message[],
  run: Run,
): Promise<{ unsent: Message[]; error?: unknown }> {
  const byId = new Map(messages.map((message, index) => [String(index), message]));
  let sent;
  try {
    sent = await options.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: options.targetQueueUrl,
        Entries: [...byId].map(([id, message]) => ({
          Id: id,
          MessageBody: message.Body,
          MessageAttributes: requeueAttributes(message),
        })),
      }),
    );
  } catch (error) {
    // Nothing is known to be sent, so nothing is deleted: the batch stays in the source queue.
    run.failed += messages.length;
    return { unsent: messages, error };
  }
  const sentIds = new Set((sent.Successful ?? []).map((entry) => entry.Id));
  const unsent = [...byId].filter(([id]) => !sentIds.has(id)).map(([, message]) => message);
  run.moved += messages.length - unsent.length;
  run.failed += unsent.length;

  const toDelete = [...byId]
    .filter(([id, message]) => sentIds.has(id) && message.ReceiptHandle !== undefined)
    .map(([id, message]) => ({ Id: id, ReceiptHandle: message.ReceiptHandle }));
  if (toDelete.length === 0) return { unsent };
  try {
    const deleted = await options.sqs.send(
      new DeleteMessageBatchCommand({ QueueUrl: options.sourceQueueUrl, Entries: toDelete }),
    );
    run.notDeleted += deleted.Failed?.length ?? 0;
  } catch (error) {
    run.notDeleted += toDelete.length;
    return { unsent, error };
  }
  return { unsent };
}
