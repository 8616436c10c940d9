import {
  DeleteMessageCommand,
  SendMessageCommand,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import type { PermanentFailure } from '../errors';

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
