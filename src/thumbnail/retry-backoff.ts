import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
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
