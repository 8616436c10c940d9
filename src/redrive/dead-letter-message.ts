import type { Message, MessageAttributeValue, ReceiveMessageCommandInput } from '@aws-sdk/client-sqs';
import { FAILURE_CODES } from '../errors';
import { FAILED_AT_ATTRIBUTE, FAILURE_CODE_ATTRIBUTE, FAILURE_REASON_ATTRIBUTE } from '../thumbnail/dead-letter';
import { parseImageMessage } from '../thumbnail/s3-event';
import type { RedriveSample } from './types';

/** The reason of a dead-letter message that carries none: SQS moved it after maxReceiveCount receives. */
export const RETRIES_EXHAUSTED = 'retries-exhausted';

/**
 * The reason of an event EventBridge could not deliver to the images queue (ingest: eventbridge) and put
 * in the dead-letter queue itself, with its own attributes.
 */
export const EVENT_NOT_DELIVERED = 'event-not-delivered';

/** Every reason a dead letter can have, for validating requests. */
export const DEAD_LETTER_REASONS: readonly string[] = [...FAILURE_CODES, RETRIES_EXHAUSTED, EVENT_NOT_DELIVERED];

/** The attributes EventBridge gives an event it puts in a dead-letter queue. */
const EVENTBRIDGE_ERROR_CODE = 'ERROR_CODE';
const EVENTBRIDGE_ERROR_MESSAGE = 'ERROR_MESSAGE';
const EVENTBRIDGE_ATTRIBUTES = [
  EVENTBRIDGE_ERROR_CODE,
  EVENTBRIDGE_ERROR_MESSAGE,
  'EXHAUSTED_RETRY_CONDITION',
  'RETRY_ATTEMPTS',
  'RULE_ARN',
  'TARGET_ARN',
];

/** Attributes that describe the failure, not the message: none goes back to the images queue. */
const FAILURE_ATTRIBUTES = new Set([
  FAILURE_CODE_ATTRIBUTE,
  FAILURE_REASON_ATTRIBUTE,
  FAILED_AT_ATTRIBUTE,
  ...EVENTBRIDGE_ATTRIBUTES,
]);

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
  const code = stringAttribute(message, FAILURE_CODE_ATTRIBUTE);
  if (code !== null) return code;
  return stringAttribute(message, EVENTBRIDGE_ERROR_CODE) === null ? RETRIES_EXHAUSTED : EVENT_NOT_DELIVERED;
}

/** The failure's own words: ours, or EventBridge's error code and message. */
function reasonTextOf(message: Message): string | null {
  const reason = stringAttribute(message, FAILURE_REASON_ATTRIBUTE);
  if (reason !== null) return reason;
  const code = stringAttribute(message, EVENTBRIDGE_ERROR_CODE);
  if (code === null) return null;
  const detail = stringAttribute(message, EVENTBRIDGE_ERROR_MESSAGE);
  return `EventBridge could not deliver the event to the images queue: ${code}${detail ? `: ${detail}` : ''}`;
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
    reason: reasonTextOf(message),
    failedAt: stringAttribute(message, FAILED_AT_ATTRIBUTE),
    receiveCount: Number.isInteger(receiveCount) ? receiveCount : null,
  };
}

/**
 * The attributes a message goes back to the images queue with: its own, without those of its failure
 * (ours, or EventBridge's). Kept, they would outlive the failure: a redriven message that SQS later moves for retries-exhausted
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
