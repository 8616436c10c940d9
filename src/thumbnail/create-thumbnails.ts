import type { SourceFormat } from '../images/types';
import type { VideoRouter } from '../video/forward';
import { tooManyBytes, type ImageStore } from './image-store';
import { checkThumbnailsStorable, thumbnailKey, thumbnailMetadata } from './keys';
import type { Render, RenderedThumbnail } from './render-worker';
import type { S3ObjectRef } from './s3-event';
import type { ThumbnailSettings } from './settings';

export interface WrittenThumbnail {
  readonly key: string;
  readonly width: number;
  readonly height: number;
  readonly bytes: number;
  readonly contentType: string;
}

/** What is said (in logs and events) of a rendered thumbnail once it is stored under `key`. */
export function writtenThumbnail(key: string, rendered: RenderedThumbnail): WrittenThumbnail {
  const { width, height, body, contentType } = rendered;
  return { key, width, height, bytes: body.length, contentType };
}

/** What one source image became: its recognised format and the thumbnails written. */
export interface WrittenThumbnails {
  readonly sourceFormat: SourceFormat;
  readonly thumbnails: WrittenThumbnail[];
}

export interface ThumbnailDependencies {
  readonly store: ImageStore;
  /** The render step, in a worker that can be stopped (render-worker.ts). */
  readonly render: Render;
  /** Aborts the record's S3 requests when its time is up. */
  readonly abortSignal?: AbortSignal;
  /** Sends videos to the video function (ObjectForwardedError); without it a video is unsupported-format. */
  readonly videos?: VideoRouter;
}

/**
 * Reads one source image, at the bytes its notification names, and writes one thumbnail per configured
 * size. Idempotent: the same source always produces the same keys and bytes, so a redelivered message
 * simply overwrites its own output.
 */
export async function createThumbnails(
  source: S3ObjectRef,
  { store, render, abortSignal, videos }: ThumbnailDependencies,
  settings: ThumbnailSettings,
): Promise<WrittenThumbnails> {
  // What the notification tells is checked first: no GET and no decode for what cannot be stored.
  if (source.size !== undefined && source.size > settings.maxImageBytes) {
    // Too large for an image, but maybe a video: its first bytes tell (one small ranged GET).
    await videos?.forwardIfVideo(source, await videos.readHead(source, abortSignal), abortSignal);
    throw tooManyBytes(source.size, settings.maxImageBytes);
  }
  checkThumbnailsStorable(source.bucket, source.key, settings.sizes);
  const metadata = thumbnailMetadata(source.bucket, source.key);
  const image = await store.read(source.bucket, source.key, settings.maxImageBytes, {
    eTag: source.eTag,
    abortSignal,
  });
  // Recognised by content, like images: a video goes to the video function (the bytes are already here).
  await videos?.forwardIfVideo(source, image, abortSignal);
  const thumbnails = await render(image, settings.sizes, {
    outputFormat: settings.outputFormat,
    quality: settings.quality,
    budget: { maxPixels: settings.maxImagePixels, maxBytes: settings.maxDecodeBytes },
  });
  // The sizes are independent objects: written concurrently, one round trip instead of one per size.
  const written = await Promise.all(
    thumbnails.map(async (thumbnail) => {
      const key = thumbnailKey(source.key, thumbnail.box, thumbnail.format);
      await store.write(
        { bucket: settings.thumbnailsBucket, key, body: thumbnail.body, contentType: thumbnail.contentType, metadata },
        { abortSignal },
      );
      return writtenThumbnail(key, thumbnail);
    }),
  );
  return { sourceFormat: thumbnails[0]!.sourceFormat, thumbnails: written };
}
