// First, so that errors thrown while the other modules load are source-mapped too.
import '../source-mapped-stack-traces';
import { BatchProcessor, EventType } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createEventBridgeClient, createS3Client, createSqsClient } from '../aws/clients';
import { eventBridgePublisher } from '../aws/event-bus';
import { loadVideoConfig } from '../config';
import { s3ImageStore } from '../thumbnail/image-store';
import { createRenderWorker } from '../thumbnail/render-worker';
import { processQueueBatch } from '../thumbnail/queue-batch';
import { createFfmpeg, locateFfmpeg } from '../video/ffmpeg';
import { handleVideoRecord } from '../video/handle-video-record';
import { s3VideoSource } from '../video/video-source';

// Built once per container and reused by every invocation it serves.
const settings = loadVideoConfig();
const s3 = createS3Client();
const store = s3ImageStore(s3);
const source = s3VideoSource(s3);
const sqs = createSqsClient();
const events = eventBridgePublisher(createEventBridgeClient(), settings.eventBusName);
const logger = new Logger({ serviceName: 'video' });
const processor = new BatchProcessor(EventType.SQS);
const renderer = createRenderWorker(settings.render);
// Located (and made executable if need be) on the first video.
let ffmpegPath: string | undefined;
const ffmpeg = createFfmpeg(() => (ffmpegPath ??= locateFfmpeg(settings.video.ffmpegPath)));

/**
 * Consumes the videos queue (one video a batch) and reports the messages that failed transiently
 * (ReportBatchItemFailures); permanent failures are dead-lettered with their reason.
 */
export const handler = middy(async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  return processQueueBatch(
    event,
    context,
    (record) =>
      handleVideoRecord(record, () => context.getRemainingTimeInMillis(), {
        source,
        ffmpeg,
        store,
        render: renderer.render,
        sqs,
        settings,
        log: logger,
        events,
      }),
    { processor, logger, sqs, queueUrl: settings.videosQueueUrl, retry: settings.retry },
  );
}).use(injectLambdaContext(logger));
