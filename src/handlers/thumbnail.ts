import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createS3Client } from '../aws/clients';
import { loadThumbnailConfig } from '../config';
import { s3ImageStore } from '../thumbnail/image-store';
import { processImageMessage } from '../thumbnail/process-message';

// Built once per container and reused by every invocation it serves.
const settings = loadThumbnailConfig();
const store = s3ImageStore(createS3Client());
const logger = new Logger({ serviceName: 'thumbnail' });
const processor = new BatchProcessor(EventType.SQS);

async function handleRecord(record: SQSRecord): Promise<void> {
  logger.appendKeys({ messageId: record.messageId });
  try {
    await processImageMessage(record.body, { store, settings, log: logger });
  } finally {
    logger.removeKeys(['messageId']);
  }
}

/**
 * Consumes a batch from the images queue and reports exactly the messages that failed
 * (ReportBatchItemFailures), so one bad image never sends its neighbours back to the queue.
 */
export const handler = middy(async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
  processPartialResponse(event, handleRecord, processor, {
    context,
    // One image at a time: decoded images are large, and the function has one vCPU or less.
    processInParallel: false,
    // A batch in which every message failed is reported like any other, not thrown.
    throwOnFullBatchFailure: false,
  }),
).use(injectLambdaContext(logger));
