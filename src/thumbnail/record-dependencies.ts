import { createEventBridgeClient, createS3Client, createSqsClient } from '../aws/clients';
import { eventBridgePublisher } from '../aws/event-bus';
import type { ThumbnailConfig } from '../config';
import { videoRouter } from '../video/forward';
import type { RecordDependencies } from './handle-record';
import { s3ImageStore } from './image-store';

/** What handleRecord needs besides its log and render. */
export type SharedRecordDependencies = Omit<RecordDependencies, 'log' | 'render'>;

/**
 * What handleRecord needs that lives as long as the process (clients, store, video routing, event
 * publisher), built from the configuration, for every consumer of the images queue: the thumbnail
 * function (once per container) and the worker (src/worker/). The log and the render are the caller's.
 */
export function sharedRecordDependencies(settings: ThumbnailConfig): SharedRecordDependencies {
  const s3 = createS3Client();
  const sqs = createSqsClient();
  return {
    settings,
    store: s3ImageStore(s3),
    sqs,
    // Uploads recognised as videos go to the video function's queue (when the stack has one).
    videos: settings.videosQueueUrl ? videoRouter(s3, sqs, settings.videosQueueUrl) : undefined,
    events: eventBridgePublisher(createEventBridgeClient(), settings.eventBusName),
  };
}
