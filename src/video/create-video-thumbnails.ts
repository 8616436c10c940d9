import { PermanentFailure } from '../errors';
import { encodeThumbnail } from '../images/encode';
import { detectFormat } from '../images/formats/registry';
import { CONTENT_TYPES, EXTENSIONS, OUTPUT_FORMATS } from '../images/output-formats';
import type { OutputFormat, RgbaBitmap } from '../images/types';
import { writtenThumbnail, type WrittenThumbnail } from '../thumbnail/create-thumbnails';
import type { ImageStore } from '../thumbnail/image-store';
import { checkThumbnailsStorable, thumbnailKey, thumbnailMetadata } from '../thumbnail/keys';
import type { Render } from '../thumbnail/render-worker';
import type { S3ObjectRef } from '../thumbnail/s3-event';
import type { ThumbnailSettings } from '../thumbnail/settings';
import type { Ffmpeg } from './ffmpeg';
import { drawTile, emptySprite, frameStats, posterChooser } from './frames';
import { planFrameTimes, planSprite, storyboardVtt } from './plan';
import { checkVideoLimits, displayedDimensions, type VideoInfo } from './probe';
import type { VideoSettings } from './settings';
import type { VideoSource } from './video-source';

export interface VideoDependencies {
  readonly source: VideoSource;
  readonly ffmpeg: Ffmpeg;
  readonly store: ImageStore;
  /** The render step of the image pipeline: every frame is resized and encoded there. */
  readonly render: Render;
  /** Milliseconds the video may still take (the invocation's remaining time less its headroom). */
  readonly timeLeftMs: () => number;
  readonly abortSignal?: AbortSignal;
}

/** One object written for a video. */
export type WrittenOutput = WrittenThumbnail;

export interface VideoOutputs {
  readonly info: VideoInfo;
  readonly poster: WrittenOutput[];
  readonly frames: WrittenOutput[];
  readonly storyboard: { readonly sprite: WrittenOutput; readonly vttKey: string };
  /** When the poster frame was taken, in milliseconds. */
  readonly posterAtMs: number;
}

/** S3's limit on a key's length, in UTF-8 bytes. */
const MAX_KEY_BYTES = 1024;
/** BMP: 3 bytes a pixel, rows padded to 4 bytes, and a header. */
const bmpBytes = (pixels: number, width: number) => pixels * 3 + 4 * Math.ceil(pixels / Math.max(1, width)) + 1024;
/** Presigned URLs outlive the longest invocation Lambda allows (15 minutes). */
const URL_LIFETIME_SECONDS = 15 * 60;

function checkedKey(key: string): string {
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) {
    throw new PermanentFailure('key-too-long', `output key "${key}" would exceed S3's ${MAX_KEY_BYTES}-byte key limit`);
  }
  return key;
}

/** Where the video's outputs go, beside its poster (`<key>/<WIDTHxHEIGHT>.<ext>`, as an image's thumbnails). */
export function frameKey(sourceKey: string, index: number, count: number, format: OutputFormat): string {
  const digits = String(count - 1).length;
  return checkedKey(`${sourceKey}/frames/${String(index).padStart(digits, '0')}.${EXTENSIONS[format]}`);
}
export function storyboardKeys(sourceKey: string, format: OutputFormat): { sprite: string; vtt: string } {
  return {
    sprite: checkedKey(`${sourceKey}/storyboard.${EXTENSIONS[format]}`),
    vtt: checkedKey(`${sourceKey}/storyboard.vtt`),
  };
}

/** The stored object's metadata: the source, and what the video is (duration, resolution, codec). */
export function videoMetadata(bucket: string, key: string, info: VideoInfo): Record<string, string> {
  const shown = displayedDimensions(info);
  return {
    ...thumbnailMetadata(bucket, key),
    'video-duration-seconds': info.durationSeconds.toFixed(3),
    'video-resolution': `${shown.width}x${shown.height}`,
    'video-codec': info.codec,
  };
}

function decodeTile(png: Buffer): Promise<RgbaBitmap> {
  const format = detectFormat(png);
  const budget = { maxPixels: Number.MAX_SAFE_INTEGER, maxBytes: Number.MAX_SAFE_INTEGER };
  return format.decode(png, format.inspect(png, budget)).then((decoded) => decoded.bitmap);
}

/**
 * One video's outputs, in this order: what ffmpeg reads of the container, held against the limits before
 * any frame is decoded; then `frameCount` frames evenly spaced over the duration, each read by ffmpeg
 * from a presigned URL (range requests: never the whole file) and sent through the image render step,
 * which stores it under `<key>/frames/` and makes its storyboard tile; then the storyboard (sprite and
 * WebVTT) and the poster, at every configured size, from the first frame that is not black or faded.
 * Idempotent: the same video always makes the same keys.
 */
export async function createVideoThumbnails(
  source: S3ObjectRef,
  deps: VideoDependencies,
  settings: ThumbnailSettings,
  video: VideoSettings,
): Promise<VideoOutputs> {
  const { abortSignal } = deps;
  // What S3 could not store is refused before anything is read: every output key in every format.
  checkThumbnailsStorable(source.bucket, source.key, settings.sizes);
  for (const format of OUTPUT_FORMATS) {
    frameKey(source.key, video.frameCount - 1, video.frameCount, format);
    storyboardKeys(source.key, format);
  }
  const { url } = await deps.source.locate(source.bucket, source.key, {
    eTag: source.eTag,
    expiresInSeconds: URL_LIFETIME_SECONDS,
    abortSignal,
  });
  const info = await deps.ffmpeg.probe(url, deps.timeLeftMs());
  checkVideoLimits(info, video.limits);

  const metadata = videoMetadata(source.bucket, source.key, info);
  const shown = displayedDimensions(info);
  const times = planFrameTimes(info.durationSeconds, video.frameCount, info.framesPerSecond);
  const layout = planSprite(times.length, shown, video.tileBox);
  const sprite = emptySprite(layout);
  const renderOptions = {
    outputFormat: settings.outputFormat,
    quality: settings.quality,
    budget: { maxPixels: video.limits.maxFramePixels, maxBytes: settings.maxDecodeBytes },
  };
  const maxFrameBytes = bmpBytes(video.limits.maxFramePixels, Math.min(info.width, info.height));
  const write = (key: string, body: Buffer, contentType: string) =>
    deps.store.write({ bucket: settings.thumbnailsBucket, key, body, contentType, metadata }, { abortSignal });

  const frames: WrittenOutput[] = [];
  const chooser = posterChooser<{ readonly index: number; readonly bmp: Buffer }>();
  for (const [index, atMs] of times.entries()) {
    const bmp = await deps.ffmpeg.frame(url, atMs, deps.timeLeftMs(), maxFrameBytes);
    const [stored] = await deps.render(bmp, [video.frameBox], renderOptions);
    const key = frameKey(source.key, index, times.length, stored!.format);
    await write(key, stored!.body, stored!.contentType);
    frames.push(writtenThumbnail(key, stored!));
    // Lossless, so the sprite is encoded once, from the render step's pixels.
    const [tile] = await deps.render(bmp, [video.tileBox], { ...renderOptions, outputFormat: 'png' });
    const tileBitmap = await decodeTile(tile!.body);
    drawTile(sprite, layout, index, tileBitmap);
    chooser.offer(frameStats(tileBitmap), { index, bmp });
  }
  const posterFrame = chooser.chosen()!;

  const posterThumbnails = await deps.render(posterFrame.bmp, settings.sizes, renderOptions);
  const posterWritten = await Promise.all(
    posterThumbnails.map(async (thumbnail) => {
      const key = thumbnailKey(source.key, thumbnail.box, thumbnail.format);
      await write(key, thumbnail.body, thumbnail.contentType);
      return writtenThumbnail(key, thumbnail);
    }),
  );

  const spriteFormat: OutputFormat = settings.outputFormat === 'auto' ? 'jpeg' : settings.outputFormat;
  const keys = storyboardKeys(source.key, spriteFormat);
  const spriteBody = await encodeThumbnail(sprite, spriteFormat, settings.quality);
  await write(keys.sprite, spriteBody, CONTENT_TYPES[spriteFormat]);
  const spriteName = keys.sprite.slice(keys.sprite.lastIndexOf('/') + 1);
  const vtt = storyboardVtt(info.durationSeconds, layout, times.length, spriteName);
  await write(keys.vtt, Buffer.from(vtt, 'utf8'), 'text/vtt; charset=utf-8');

  return {
    info,
    poster: posterWritten,
    frames,
    storyboard: {
      sprite: {
        key: keys.sprite,
        width: layout.width,
        height: layout.height,
        bytes: spriteBody.length,
        contentType: CONTENT_TYPES[spriteFormat],
      },
      vttKey: keys.vtt,
    },
    posterAtMs: times[posterFrame.index]!,
  };
}
