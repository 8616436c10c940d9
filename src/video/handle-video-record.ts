import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { describeError, ObjectGoneError, ObjectSupersededError, PermanentFailure } from '../errors';
import { deadLetterRecord } from '../thumbnail/dead-letter';
import type { ImageStore } from '../thumbnail/image-store';
import type { LogSink } from '../thumbnail/process-message';
import type { Render } from '../thumbnail/render-worker';
import { thumbnailsCreated, type EventPublisher } from '../thumbnail/events';
import { parseImageMessage } from '../thumbnail/s3-event';
import type { ThumbnailSettings } from '../thumbnail/settings';
import { createVideoThumbnails } from './create-video-thumbnails';
import type { Ffmpeg } from './ffmpeg';
import { displayedDimensions } from './probe';
import type { VideoSettings } from './settings';
import type { VideoSource } from './video-source';

export interface VideoRecordSettings extends ThumbnailSettings {
  readonly videosQueueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly video: VideoSettings;
}

export interface VideoRecordDependencies {
  readonly source: VideoSource;
  readonly ffmpeg: Ffmpeg;
  readonly store: ImageStore;
  readonly render: Render;
  readonly sqs: SQSClient;
  readonly settings: VideoRecordSettings;
  readonly log: LogSink & { warn(message: string, ...extra: Record<string, unknown>[]): void };
  /**
   * "Thumbnails Created" (the poster sizes and the storyboard sprite) and "Thumbnails Failed", as for
   * images; one EventBridge does not take fails the record (transient), as for images.
   */
  readonly events: EventPublisher;
  readonly now?: () => number;
}

/**
 * One videos-queue message (an S3 event naming videos the image function recognised), within the
 * invocation's time: every video it names gets its poster, frames and storyboard, with one log line each.
 * A permanent failure (corrupt, audio only, beyond a limit, over the time left) sends the message to the
 * dead-letter queue at once with its code and reason, and deletes it from the videos queue; anything else
 * is thrown, and SQS delivers the message again. Each video's "Thumbnails Created" (or the message's
 * "Thumbnails Failed") event is put as for images.
 */
export async function handleVideoRecord(
  record: SQSRecord,
  remainingTimeMs: () => number,
  deps: VideoRecordDependencies,
): Promise<void> {
  const { settings, log } = deps;
  const now = deps.now ?? Date.now;
  const abortSignal = AbortSignal.timeout(Math.max(0, remainingTimeMs() - settings.video.headroomMs / 2));
  try {
    const message = parseImageMessage(record.body);
    if (message.kind === 'test-event') return;
    for (const source of message.objects) {
      const startedAt = now();
      const fields = { bucket: source.bucket, key: source.key };
      try {
        const outputs = await createVideoThumbnails(
          source,
          {
            source: deps.source,
            ffmpeg: deps.ffmpeg,
            store: deps.store,
            render: deps.render,
            timeLeftMs: () => remainingTimeMs() - settings.video.headroomMs,
            abortSignal,
          },
          settings,
          settings.video,
        );
        const shown = displayedDimensions(outputs.info);
        log.info('video thumbnails written', {
          ...fields,
          outcome: 'success',
          durationSeconds: outputs.info.durationSeconds,
          resolution: `${shown.width}x${shown.height}`,
          codec: outputs.info.codec,
          rotation: outputs.info.rotation,
          posterAtMs: outputs.posterAtMs,
          sizes: outputs.poster.map(({ width, height }) => `${width}x${height}`),
          keys: [
            ...outputs.poster.map(({ key }) => key),
            outputs.storyboard.sprite.key,
            outputs.storyboard.vttKey,
            ...outputs.frames.map(({ key }) => key),
          ],
          durationMs: now() - startedAt,
        });
        const announced = [...outputs.poster, outputs.storyboard.sprite].map((output) => ({
          bucket: settings.thumbnailsBucket,
          ...output,
        }));
        await deps.events.publish([thumbnailsCreated(source, announced, now() - startedAt)], { abortSignal });
      } catch (error) {
        if (error instanceof ObjectGoneError || error instanceof ObjectSupersededError) {
          log.info('object skipped', { ...fields, outcome: 'skipped', reason: describeError(error) });
          continue;
        }
        log.error('video thumbnails failed', {
          ...fields,
          outcome: 'failure',
          permanent: error instanceof PermanentFailure,
          reason: describeError(error),
          durationMs: now() - startedAt,
        });
        throw error;
      }
    }
  } catch (error) {
    if (!(error instanceof PermanentFailure)) throw error;
    await deadLetterRecord(record, error, {
      ...deps,
      deadLetterQueueUrl: settings.deadLetterQueueUrl,
      sourceQueueUrl: settings.videosQueueUrl,
      abortSignal,
    });
  }
}
