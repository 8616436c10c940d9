// First, so that errors thrown while the other modules load are source-mapped too.
import '../source-mapped-stack-traces';
import { BatchProcessor, EventType } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { loadThumbnailConfig } from '../config';
import { handleRecord, timeoutMisconfigurationCheck } from '../thumbnail/handle-record';
import { sharedRecordDependencies } from '../thumbnail/record-dependencies';
import { createRenderWorker } from '../thumbnail/render-worker';
import { processQueueBatch } from '../thumbnail/queue-batch';

// Built once per container and reused by every invocation it serves (the worker builds the same).
const settings = loadThumbnailConfig();
const shared = sharedRecordDependencies(settings);
const { sqs } = shared;
const logger = new Logger({ serviceName: 'thumbnail' });
const processor = new BatchProcessor(EventType.SQS);
// Started as the first invocation begins and kept warm for the container's life (restarted after a stop).
const renderer = createRenderWorker(settings.render);
const checkTimeout = timeoutMisconfigurationCheck(settings, logger);

/**
 * Consumes a batch from the images queue and reports exactly the messages that failed
 * (ReportBatchItemFailures), so one bad image never sends its neighbours back to the queue.
 */
export const handler = middy(async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  // On a cold start (or after a stop), the render worker loads while the first image is read from S3.
  renderer.prestart();
  // The first look at the remaining time, as the first record starts, is the start of the invocation.
  let started = false;
  const remainingTimeMs = () => {
    const remainingMs = context.getRemainingTimeInMillis();
    if (!started) checkTimeout(remainingMs);
    started = true;
    return remainingMs;
  };
  return processQueueBatch(
    event,
    context,
    (record) => handleRecord(record, remainingTimeMs, { ...shared, render: renderer.render, log: logger }),
    { processor, logger, sqs, queueUrl: settings.imagesQueueUrl, retry: settings.retry },
  );
}).use(injectLambdaContext(logger));
