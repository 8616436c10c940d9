import { ChangeMessageVisibilityBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** SQS's limit on entries in one batch call (receive, send, delete, change visibility). */
export const SQS_BATCH_SIZE = 10;

export interface VisibilityChange {
  readonly receiptHandle: string | undefined;
  readonly visibilityTimeoutSeconds: number;
}

/** Sets the visibility timeout of received messages, in as many batch calls as SQS needs. */
export async function changeVisibility(
  sqs: SQSClient,
  queueUrl: string,
  changes: readonly VisibilityChange[],
): Promise<void> {
  for (let start = 0; start < changes.length; start += SQS_BATCH_SIZE) {
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: changes.slice(start, start + SQS_BATCH_SIZE).map((change, index) => ({
          Id: String(index),
          ReceiptHandle: change.receiptHandle,
          VisibilityTimeout: change.visibilityTimeoutSeconds,
        })),
      }),
    );
  }
}
