import {
  DeleteMessageCommand,
  SendMessageCommand,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { describeError, type PermanentFailure } from '../errors';
import { thumbnailsFailed, type EventPublisher } from './events';
import type { LogSink } from './process-message';
import { parseImageMessage, type S3ObjectRef } from './s3-event';

/** Message attributes that say why a message is in the dead-letter queue. */
export const FAILURE_CODE_ATTRIBUTE = 'failure-code';
export const FAILURE_REASON_ATTRIBUTE = 'failure-reason';
export const FAILED_AT_ATTRIBUTE = 'failed-at';
const FAILURE_ATTRIBUTES = new Set([FAILURE_CODE_ATTRIBUTE, FAILURE_REASON_ATTRIBUTE, FAILED_AT_ATTRIBUTE]);

/** SQS allows 10 attributes a message; ours take 3. */
const MAX_KEPT_ATTRIBUTES = 7;
const MAX_REASON_LENGTH = 1024;

/** Lambda's SQS event spells attributes differently from the SQS API. */
function toApiAttributes(record: SQSRecord): Record<string, MessageAttributeValue> {
  const kept = Object.entries(record.messageAttributes ?? {})
    .filter(([name]) => !FAILURE_ATTRIBUTES.has(name))
    .slice(0, MAX_KEPT_ATTRIBUTES);
  return Object.fromEntries(
    kept.map(([name, value]) => [
      name,
      {
        DataType: value.dataType,
        StringValue: value.stringValue,
        BinaryValue: value.binaryValue === undefined ? undefined : Buffer.from(value.binaryValue, 'base64'),
      },
    ]),
  );
}

/**
 * Sends a message that can never succeed straight to the dead-letter queue, body unchanged, with the
 * reason in its attributes (where the redrive function and the SQS console show it). The caller then
 * acknowledges the original. If this send fails, the caller lets SQS retry the message instead, so
 * nothing is lost either way.
 */
export async function sendToDeadLetterQueue(
  sqs: SQSClient,
  deadLetterQueueUrl: string,
  record: SQSRecord,
  failure: PermanentFailure,
  now: Date = new Date(),
): Promise<void> {
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: deadLetterQueueUrl,
      MessageBody: record.body,
      MessageAttributes: {
        ...toApiAttributes(record),
        [FAILURE_CODE_ATTRIBUTE]: { DataType: 'String', StringValue: failure.code },
        [FAILURE_REASON_ATTRIBUTE]: {
          DataType: 'String',
          StringValue: `${failure.name}: ${failure.message}`.slice(0, MAX_REASON_LENGTH),
        },
        [FAILED_AT_ATTRIBUTE]: { DataType: 'String', StringValue: now.toISOString() },
      },
    }),
  );
}

/**
 * Deletes a message from the queue it came from as soon as it is in the dead-letter queue, instead of
 * leaving that to the batch response: if the invocation then dies before it responds (a timeout, the
 * runtime killed), SQS cannot deliver it again and it cannot reach the dead-letter queue a second time.
 * Best effort: on failure the batch response still acknowledges it.
 */
export async function deleteFromSourceQueue(sqs: SQSClient, queueUrl: string, record: SQSRecord): Promise<void> {
  await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: record.receiptHandle }));
}

/**
 * Dead letters being handed off: from the send to the dead-letter queue until the delete from the source
 * queue. A process that must exit at once (the worker on a second signal) waits for these first, which
 * takes milliseconds: cut off in between, a message would come back when its visibility runs out and
 * reach the dead-letter queue a second time.
 */
export class DeadLetterHandOffs {
  readonly #underWay = new Set<Promise<void>>();

  /** Runs one hand-off, counted as under way until it settles. */
  async run(handOff: () => Promise<void>): Promise<void> {
    const running = handOff();
    this.#underWay.add(running);
    try {
      await running;
    } finally {
      this.#underWay.delete(running);
    }
  }

  /** Resolves when none is under way, including any that starts while it waits. */
  async settled(): Promise<void> {
    while (this.#underWay.size > 0) await Promise.allSettled([...this.#underWay]);
  }
}

/** The objects a message names, for its "Thumbnails Failed" events; none if it is not an S3 event. */
function objectsNamedBy(body: string): readonly S3ObjectRef[] {
  try {
    const message = parseImageMessage(body);
    return message.kind === 'objects' ? message.objects : [];
  } catch {
    return [];
  }
}

export interface DeadLetterDependencies {
  readonly sqs: SQSClient;
  readonly events: EventPublisher;
  readonly log: LogSink & { warn(message: string, ...extra: Record<string, unknown>[]): void };
  readonly deadLetterQueueUrl: string;
  /** The queue the record came from (images or videos), deleted from at once. */
  readonly sourceQueueUrl: string;
  readonly abortSignal?: AbortSignal;
  /** Where a process that may have to exit at once follows its hand-offs (the worker). */
  readonly handOffs?: DeadLetterHandOffs;
}

/**
 * Where a record that can never succeed goes, for images and videos alike: its "Thumbnails Failed"
 * events first (if EventBridge does not take them this throws, the record fails as transient and stays in
 * its queue, so no dead letter goes unannounced), then the dead-letter queue with its reason, then
 * deleted from its queue at once.
 */
export async function deadLetterRecord(
  record: SQSRecord,
  error: PermanentFailure,
  deps: DeadLetterDependencies,
): Promise<void> {
  const failure = { code: error.code, reason: describeError(error) };
  await deps.events.publish(thumbnailsFailed(objectsNamedBy(record.body), failure, record.messageId), {
    abortSignal: deps.abortSignal,
  });
  const handOff = async () => {
    await sendToDeadLetterQueue(deps.sqs, deps.deadLetterQueueUrl, record, error);
    deps.log.info('message sent to the dead-letter queue', {
      outcome: 'dead-lettered',
      failureCode: error.code,
      reason: describeError(error),
    });
    try {
      await deleteFromSourceQueue(deps.sqs, deps.sourceQueueUrl, record);
    } catch (deleteError) {
      deps.log.warn('could not delete a dead-lettered message at once; the batch response acknowledges it', {
        reason: describeError(deleteError),
      });
    }
  };
  await (deps.handOffs?.run(handOff) ?? handOff());
}
