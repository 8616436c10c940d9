import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createS3Client, createSqsClient } from '../aws/clients';
import { loadThumbnailConfig } from '../config';
import { describeError, PermanentFailure } from '../errors';
import { sendToDeadLetterQueue } from '../thumbnail/dead-letter';
import { s3ImageStore } from '../thumbnail/image-store';
import { processImageMessage } from '../thumbnail/process-message';
import { scheduleRetries } from '../thumbnail/retry-backoff';

// Built once per container and reused by every invocation it serves.
const settings = loadThumbnailConfig();
const store = s3ImageStore(createS3Client());
const sqs = createSqsClient();
const logger = new Logger({ serviceName: 'thumbnail' });
const processor = new BatchProcessor(EventType.SQS);

async function handleRecord(record: SQSRecord): Promise<void> {
  logger.appendKeys({ messageId: record.messageId });
  try {
    await processImageMessage(record.body, { store, settings, log: logger });
  } catch (error) {
    if (!(error instanceof PermanentFailure)) throw error;
    // Retrying cannot help: straight to the dead-letter queue with the reason, then acknowledged.
    await sendToDeadLetterQueue(sqs, settings.deadLetterQueueUrl, record, error);
    logger.info('message sent to the dead-letter queue', {
      outcome: 'dead-lettered',
      failureCode: error.code,
      reason: describeError(error),
    });
  } finally {
    logger.removeKeys(['messageId']);
  }
}

/**
 * Consumes a batch from the images queue and reports exactly the messages that failed
 * (ReportBatchItemFailures), so one bad image never sends its neighbours back to the queue.
 */
export const handler = middy(async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  const response = await processPartialResponse(event, handleRecord, processor, {
    context,
    // One image at a time: decoded images are large, and the function has one vCPU or less.
    processInParallel: false,
    // A batch in which every message failed is reported like any other, not thrown.
    throwOnFullBatchFailure: false,
  });
  const failedIds = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
  const failedRecords = event.Records.filter((record) => failedIds.has(record.messageId));
  if (failedRecords.length > 0) {
    try {
      await scheduleRetries(sqs, settings.imagesQueueUrl, failedRecords, settings.retry);
    } catch (error) {
      logger.warn('could not shorten the retry delay; failed messages wait out the visibility timeout', {
        reason: describeError(error),
      });
    }
  }
  return response;
}).use(injectLambdaContext(logger));
