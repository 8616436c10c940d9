import type { Message, MessageAttributeValue, ReceiveMessageCommandInput } from '@aws-sdk/client-sqs';
import { FAILURE_CODES } from '../errors';
import { FAILED_AT_ATTRIBUTE, FAILURE_CODE_ATTRIBUTE, FAILURE_REASON_ATTRIBUTE } from '../thumbnail/dead-letter';
import { parseImageMessage } from '../thumbnail/s3-event';
import type { RedriveSample } from './types';

/** The reason of a dead-letter message that carries none: SQS moved it after maxReceiveCount receives. */
export const RETRIES_EXHAUSTED = 'retries-exhausted';

/** Every reason a dead letter can have, for validating requests. */
export const DEAD_LETTER_REASONS: readonly string[] = [...FAILURE_CODES, RETRIES_EXHAUSTED];

const FAILURE_ATTRIBUTES = new Set([FAILURE_CODE_ATTRIBUTE, FAILURE_REASON_ATTRIBUTE, FAILED_AT_ATTRIBUTE]);

/** What a receive must ask SQS for: every message attribute (to copy them), and the two system ones used. */
export function receiveAttributes(): Pick<
  ReceiveMessageCommandInput,
  'MessageAttributeNames' | 'MessageSystemAttributeNames'
> {
  return {
    MessageAttributeNames: ['All'],
    MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateReceiveCount'],
  };
}

function stringAttribute(message: Message, name: string): string | null {
  return message.MessageAttributes?.[name]?.StringValue ?? null;
}

export function reasonOf(message: Message): string {
  return stringAttribute(message, FAILURE_CODE_ATTRIBUTE) ?? RETRIES_EXHAUSTED;
}

/** SQS's SentTimestamp; NaN when missing, which counts as "there before the run". */
export function sentAt(message: Message): number {
  return Number(message.Attributes?.SentTimestamp);
}

function objectKeyOf(body: string | undefined): string | null {
  try {
    const parsed = parseImageMessage(body ?? '');
    return parsed.kind === 'objects' ? (parsed.objects[0]?.key ?? null) : null;
  } catch {
    return null; // not an S3 event (an `invalid-message` dead letter)
  }
}

export function sampleOf(message: Message): RedriveSample {
  const receiveCount = Number(message.Attributes?.ApproximateReceiveCount);
  return {
    objectKey: objectKeyOf(message.Body),
    failureCode: reasonOf(message),
    reason: stringAttribute(message, FAILURE_REASON_ATTRIBUTE),
    failedAt: stringAttribute(message, FAILED_AT_ATTRIBUTE),
    receiveCount: Number.isInteger(receiveCount) ? receiveCount : null,
  };
}

/**
 * The attributes a message goes back to the images queue with: its own, without the failure-* ones.
 * Kept, they would outlive the failure: a redriven message that SQS later moves for retries-exhausted
 * would still say corrupt-image. SQS does not carry list values yet; data type and scalar are the whole value.
 */
export function requeueAttributes(message: Message): Record<string, MessageAttributeValue> | undefined {
  const kept = Object.entries(message.MessageAttributes ?? {}).filter(([name]) => !FAILURE_ATTRIBUTES.has(name));
  if (kept.length === 0) return undefined;
  return Object.fromEntries(
    kept.map(([name, value]) => [
      name,
      { DataType: value.DataType, StringValue: value.StringValue, BinaryValue: value.BinaryValue },
    ]),
  );
}
