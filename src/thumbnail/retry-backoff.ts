import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { describeError } from '../errors';
import { changeVisibility } from '../aws/change-visibility';
import type { RetryPolicy } from './settings';

/** Exponential backoff: base, 2x base, 4x base, ... capped at the maximum. */
export function retryDelaySeconds(receiveCount: number, policy: RetryPolicy): number {
  const exponent = Math.max(0, receiveCount - 1);
  return Math.min(policy.maxDelaySeconds, policy.baseDelaySeconds * 2 ** Math.min(exponent, 30));
}

/**
 * A failed message normally reappears only when the queue's visibility timeout (6x the function
 * timeout, i.e. minutes) expires. Shortening its visibility retries transient failures within seconds,
 * backing off as they repeat, and brings a message that keeps failing to the dead-letter queue after
 * maxReceiveCount attempts without waiting out the long timeout each time.
 *
 * Best effort: if SQS refuses, the message simply waits out the full visibility timeout.
 */
export async function scheduleRetries(
  sqs: SQSClient,
  queueUrl: string,
  failedRecords: readonly SQSRecord[],
  policy: RetryPolicy,
): Promise<void> {
  await changeVisibility(
    sqs,
    queueUrl,
    failedRecords.map((record) => ({
      receiptHandle: record.receiptHandle,
      visibilityTimeoutSeconds: retryDelaySeconds(Number(record.attributes.ApproximateReceiveCount) || 1, policy),
    })),
  );
}

/**
 * After a batch (images or videos): the records its response reports as failed get their retry delay.
 * Best effort, as scheduleRetries: a refusal is logged and those messages wait out the visibility timeout.
 */
export async function scheduleRetriesOfFailedRecords(
  sqs: SQSClient,
  queueUrl: string,
  event: SQSEvent,
  response: SQSBatchResponse,
  policy: RetryPolicy,
  log: { warn(message: string, ...extra: Record<string, unknown>[]): void },
): Promise<void> {
  const failedIds = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
  const failedRecords = event.Records.filter((record) => failedIds.has(record.messageId));
  if (failedRecords.length === 0) return;
  try {
    await scheduleRetries(sqs, queueUrl, failedRecords, policy);
  } catch (error) {
    log.warn('could not shorten the retry delay; failed messages wait out the visibility timeout', {
      reason: describeError(error),
    });
  }
}
