import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { changeVisibility, SQS_BATCH_SIZE } from '../aws/change-visibility';
import { describeError } from '../errors';
import { FAILURE_CODE_ATTRIBUTE } from '../thumbnail/dead-letter';

export type StopReason = 'empty' | 'max-messages' | 'time-budget' | 'error';

export interface RedriveSummary {
  readonly dryRun: boolean;
  /** Messages received from the dead-letter queue in this run. */
  readonly found: number;
  /** Messages sent to the images queue. */
  readonly moved: number;
  /** Messages whose send failed; they stay in the dead-letter queue. */
  readonly failed: number;
  /**
   * Messages sent but not deleted from the dead-letter queue: a later redrive sends them again.
   * Duplicates are harmless because thumbnails are written idempotently.
   */
  readonly notDeleted: number;
  /**
   * Messages that reached the dead-letter queue after this run started (new failures, or moved
   * messages that failed again). They are left for a later run: moving them again would ping-pong a
   * message that still fails between the queues until the time budget runs out.
   */
  readonly arrivedDuringRun: number;
  /**
   * Found messages by why they failed: the `failure-code` attribute the thumbnail function attaches
   * to permanent failures, or `retries-exhausted` for messages SQS moved after maxReceiveCount receives.
   */
  readonly reasons: Record<string, number>;
  readonly stoppedBecause: StopReason;
  readonly error?: string;
}

export interface DrainOptions {
  readonly sqs: SQSClient;
  readonly sourceQueueUrl: string;
  readonly targetQueueUrl: string;
  readonly dryRun: boolean;
  readonly maxMessages: number | undefined;
  /** Asked before every batch; false stops the drain (e.g. the invocation's time is running out). */
  readonly hasTimeLeft: () => boolean;
  /** Clock, in epoch milliseconds, compared with SQS's SentTimestamp. */
  readonly now?: () => number;
  /**
   * How long received messages stay hidden; at least the length of a run, so none is seen twice in one.
   * Whatever a run receives but does not move is made visible again when it ends.
   */
  readonly visibilityTimeoutSeconds?: number;
  /** Long polling: an empty answer then means the queue is really empty, not that a host was missed. */
  readonly waitTimeSeconds?: number;
}

/** The reason of a dead-letter message that carries none: SQS moved it after maxReceiveCount receives. */
export const RETRIES_EXHAUSTED = 'retries-exhausted';

/** The redrive function's timeout: a message received once stays hidden for the rest of the run. */
const DEFAULT_HOLD_SECONDS = 300;

/** SQS does not carry list values yet; the data type and scalar value are the whole attribute. */
function copyAttributes(
  attributes: Record<string, MessageAttributeValue> | undefined,
): Record<string, MessageAttributeValue> | undefined {
  if (!attributes || Object.keys(attributes).length === 0) return undefined;
  return Object.fromEntries(
    Object.entries(attributes).map(([name, value]) => [
      name,
      { DataType: value.DataType, StringValue: value.StringValue, BinaryValue: value.BinaryValue },
    ]),
  );
}

class Tally {
  found = 0;
  moved = 0;
  failed = 0;
  notDeleted = 0;
  arrivedDuringRun = 0;
  reasons: Record<string, number> = {};

  count(messages: Message[]): void {
    this.found += messages.length;
    for (const message of messages) {
      const reason = message.MessageAttributes?.[FAILURE_CODE_ATTRIBUTE]?.StringValue ?? RETRIES_EXHAUSTED;
      this.reasons[reason] = (this.reasons[reason] ?? 0) + 1;
    }
  }
}

/**
 * Moves messages from `sourceQueueUrl` to `targetQueueUrl`, at least once and never lossy: a batch is
 * sent first, and only the entries SQS confirms as sent are deleted from the source. Stops when the
 * source is empty, `maxMessages` have been handled, time runs low, or SQS refuses a whole call.
 */
export async function drainQueue(options: DrainOptions): Promise<RedriveSummary> {
  const { sqs, sourceQueueUrl, dryRun } = options;
  const tally = new Tally();
  const startedAt = (options.now ?? Date.now)();
  // Messages received but not moved (all of them in a dry run; those that arrived during the run; those
  // SQS refused to send) stay hidden until the end, so none is seen twice, and are then released.
  const held: Message[] = [];

  const finish = async (stoppedBecause: StopReason, error?: unknown): Promise<RedriveSummary> => {
    // Made visible again at once: they were only counted, or are left for a later run.
    await changeVisibility(
      sqs,
      sourceQueueUrl,
      held.map((message) => ({ receiptHandle: message.ReceiptHandle, visibilityTimeoutSeconds: 0 })),
    );
    return {
      dryRun,
      ...tally,
      stoppedBecause,
      ...(error === undefined ? {} : { error: describeError(error) }),
    };
  };

  for (;;) {
    const remaining = (options.maxMessages ?? Infinity) - tally.found;
    if (remaining <= 0) return finish('max-messages');
    if (!options.hasTimeLeft()) return finish('time-budget');

    let messages: Message[];
    try {
      const received = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: sourceQueueUrl,
          MaxNumberOfMessages: Math.min(SQS_BATCH_SIZE, remaining),
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['SentTimestamp'],
          VisibilityTimeout: options.visibilityTimeoutSeconds ?? DEFAULT_HOLD_SECONDS,
          WaitTimeSeconds: options.waitTimeSeconds ?? 1,
        }),
      );
      messages = received.Messages ?? [];
    } catch (error) {
      return finish('error', error);
    }
    if (messages.length === 0) return finish('empty');
    const arrivedLater = (message: Message) => Number(message.Attributes?.SentTimestamp) >= startedAt;
    const present = messages.filter((message) => !arrivedLater(message));
    tally.arrivedDuringRun += messages.length - present.length;
    held.push(...messages.filter(arrivedLater));
    tally.count(present);

    if (dryRun) {
      held.push(...present);
      continue;
    }
    if (present.length === 0) continue;
    const { unsent, error } = await moveBatch(options, present, tally);
    held.push(...unsent);
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
  tally: Tally,
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
          MessageAttributes: copyAttributes(message.MessageAttributes),
        })),
      }),
    );
  } catch (error) {
    // Nothing is known to be sent, so nothing is deleted: the batch stays in the source queue.
    tally.failed += messages.length;
    return { unsent: messages, error };
  }
  const sentIds = (sent.Successful ?? []).map((entry) => entry.Id);
  const unsent = [...byId].filter(([id]) => !sentIds.includes(id)).map(([, message]) => message);
  tally.moved += sentIds.length;
  tally.failed += unsent.length;
  if (sentIds.length === 0) return { unsent };

  const toDelete = sentIds.flatMap((id) => {
    const receiptHandle = id === undefined ? undefined : byId.get(id)?.ReceiptHandle;
    return receiptHandle === undefined ? [] : [{ Id: id as string, ReceiptHandle: receiptHandle }];
  });
  try {
    const deleted = await options.sqs.send(
      new DeleteMessageBatchCommand({ QueueUrl: options.sourceQueueUrl, Entries: toDelete }),
    );
    tally.notDeleted += deleted.Failed?.length ?? 0;
  } catch (error) {
    tally.notDeleted += toDelete.length;
    return { unsent, error };
  }
  return { unsent };
}
