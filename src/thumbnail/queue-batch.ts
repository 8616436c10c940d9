import { processPartialResponse, type BatchProcessor } from '@aws-lambda-powertools/batch';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { scheduleRetriesOfFailedRecords } from './retry-backoff';
import type { RetryPolicy } from './settings';

export interface QueueBatchWiring {
  readonly processor: BatchProcessor;
  readonly logger: {
    appendKeys(keys: Record<string, unknown>): void;
    removeKeys(keys: string[]): void;
    warn(message: string, ...extra: Record<string, unknown>[]): void;
  };
  readonly sqs: SQSClient;
  /** The queue the batch came from, where failed messages get their retry delay. */
  readonly queueUrl: string;
  readonly retry: RetryPolicy;
}

/**
 * One batch of a queue-triggered function (images or videos): the records handled one at a time, each
 * with its message ID in the log lines, exactly the failed ones reported (ReportBatchItemFailures, so one
 * bad record never sends its neighbours back), then those given their retry delay.
 */
export async function processQueueBatch(
  event: SQSEvent,
  context: Context,
  handleRecord: (record: SQSRecord) => Promise<unknown>,
  { processor, logger, sqs, queueUrl, retry }: QueueBatchWiring,
): Promise<SQSBatchResponse> {
  const recordHandler = async (record: SQSRecord) => {
    logger.appendKeys({ messageId: record.messageId });
    try {
      await handleRecord(record);
    } finally {
      logger.removeKeys(['messageId']);
    }
  };
  const response = await processPartialResponse(event, recordHandler, processor, {
    context,
    // One record at a time: decoded images are large, and the functions have one vCPU or less.
    processInParallel: false,
    // A batch in which every message failed is reported like any other, not thrown.
    throwOnFullBatchFailure: false,
  });
  await scheduleRetriesOfFailedRecords(sqs, queueUrl, event, response, retry, logger);
  return response;
}
