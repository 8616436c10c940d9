import { tooManyBytes, type ImageStore } from './image-store';
import { thumbnailKey } from './keys';
import type { S3ObjectRef } from './s3-event';
import type { BoxSize } from './sizes';
import { renderThumbnails } from './transform';

export interface ThumbnailSettings {
  readonly thumbnailsBucket: string;
  readonly sizes: readonly BoxSize[];
  readonly jpegQuality: number;
  /** Objects larger than this are rejected without being downloaded. */
  readonly maxImageBytes: number;
  /** Images whose header declares more pixels than this are rejected before decoding. */
  readonly maxImagePixels: number;
}

export interface WrittenThumbnail {
  readonly key: string;
  readonly width: number;
  readonly height: number;
  readonly bytes: number;
}

/**
 * Reads one source image and writes one thumbnail per configured size. Idempotent: the same source
 * always produces the same keys and bytes, so a redelivered message simply overwrites its own output.
 */
export async function createThumbnails(
  source: S3ObjectRef,
  store: ImageStore,
  settings: ThumbnailSettings,
): Promise<WrittenThumbnail[]> {
  // The notification states the size: an oversized object is refused without a single GET.
  if (source.size !== undefined && source.size > settings.maxImageBytes) {
    throw tooManyBytes(source.size, settings.maxImageBytes);
  }
  const image = await store.read(source.bucket, source.key, settings.maxImageBytes);
  const thumbnails = await renderThumbnails(image, settings.sizes, {
    jpegQuality: settings.jpegQuality,
    maxPixels: settings.maxImagePixels,
  });
  // The sizes are independent objects: written concurrently, one round trip instead of one per size.
  return Promise.all(
    thumbnails.map(async (thumbnail) => {
      const key = thumbnailKey(source.key, thumbnail.box, thumbnail.format);
      await store.write({
        bucket: settings.thumbnailsBucket,
        key,
        body: thumbnail.body,
        contentType: thumbnail.contentType,
        metadata: {
          'source-bucket': source.bucket,
          // Metadata travels in HTTP headers, which only carry ASCII.
          'source-key': encodeURIComponent(source.key),
        },
      });
      return { key, width: thumbnail.width, height: thumbnail.height, bytes: thumbnail.body.length };
    }),
  );
}
