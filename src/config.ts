import { resolve } from 'node:path';
import type { RedriveLimits } from './redrive/types';
import type { RenderLimits, RetryPolicy, ThumbnailSettings } from './thumbnail/settings';
import { isOutputFormatSetting, OUTPUT_FORMATS } from './images/output-formats';
import type { OutputFormatSetting } from './images/types';
import { parseBoundingBoxes, type BoundingBox } from './thumbnail/sizes';
import type { VideoSettings } from './video/settings';

/** The environment is missing a setting or holds one that makes no sense; names the variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Env = Readonly<Record<string, string | undefined>>;

export const DEFAULT_THUMBNAIL_SIZES = '75x75,125x125,1280x720';
/** JPEG for opaque images, PNG where there is transparency. */
export const DEFAULT_THUMBNAIL_FORMAT: OutputFormatSetting = 'auto';
/** Quality (1-100) of JPEG, WebP and AVIF thumbnails. */
export const DEFAULT_THUMBNAIL_QUALITY = 80;
/** Memory assumed when not on Lambda (AWS_LAMBDA_FUNCTION_MEMORY_SIZE unset): the deployed size. */
export const DEFAULT_FUNCTION_MEMORY_MB = 1024;
/**
 * Share of the function's memory one decode may need by its estimate (src/images/budget.ts). The rest
 * holds the runtime, the bundle and the compiled codecs (115 MiB measured) and the thumbnails being
 * written. At 1024 MB: 768 MiB, which admits a 50 MP progressive JPEG (about 670 MiB, measured).
 */
export const DECODE_BUDGET_SHARE = 0.75;
/** 50 megapixels: about 200 MB once decoded to RGBA. */
export const DEFAULT_MAX_IMAGE_PIXELS = 50_000_000;
/** 50 MiB: far above any camera JPEG, and small enough to hold in memory next to the decoded image. */
export const DEFAULT_MAX_IMAGE_BYTES = 50 * 1024 * 1024;
/** A failed message is retried after 10 s, then 20 s, 40 s, ... (see thumbnail/retry-backoff.ts). */
export const DEFAULT_RETRY_BASE_DELAY_SECONDS = 10;
export const DEFAULT_RETRY_MAX_DELAY_SECONDS = 300;
/**
 * A render (decode, resize, encode) running longer is stopped and its message dead-lettered
 * (`render-timed-out`). A 49 MP JPEG, near the pixel limit, renders in under 1 s on a 2-core dev machine.
 */
export const DEFAULT_RENDER_BUDGET_MS = 15_000;
/** Heap of the render worker; image pixels live outside it (Buffers, WebAssembly memory). */
export const DEFAULT_RENDER_WORKER_MAX_HEAP_MB = 256;
/**
 * A record starts only while the invocation has its render budget plus this much left: time for the
 * record's reads and writes and for reporting the batch (dead letters, retry delays) before the timeout.
 */
export const DEFAULT_INVOCATION_HEADROOM_MS = 10_000;
/** The bus thumbnail events go to when EVENT_BUS_NAME is unset: the account's default bus. */
export const DEFAULT_EVENT_BUS_NAME = 'default';
/** Videos longer than 2 hours are refused (`video-too-long`) before any frame is decoded. */
export const DEFAULT_MAX_VIDEO_SECONDS = 7_200;
/** DCI 4K (4096x2160): larger frames are refused (`video-resolution-too-high`) before any is decoded. */
export const DEFAULT_MAX_VIDEO_FRAME_PIXELS = 4096 * 2160;
/** Frames of a video's storyboard, evenly spaced over its duration, each also stored under <key>/frames/. */
export const DEFAULT_VIDEO_FRAME_COUNT = 16;
/** Each stored frame is fitted into this box. */
export const DEFAULT_VIDEO_FRAME_SIZE = '1280x720';
/** Each storyboard tile is fitted into this box: the size players show seek previews at. */
export const DEFAULT_STORYBOARD_TILE_SIZE = '160x90';
/**
 * ffmpeg is given the invocation's remaining time less this: time to write the outputs, dead-letter the
 * message or report the batch before the function times out.
 */
export const DEFAULT_VIDEO_HEADROOM_MS = 15_000;
/**
 * Presigned links in the notify function's e-mails are requested for this long (1 hour). They stop
 * working earlier if the function's role credentials that signed them expire first.
 */
export const DEFAULT_NOTIFY_LINK_EXPIRY_SECONDS = 3_600;
/** SigV4 presigned URLs last at most 7 days. */
export const MAX_NOTIFY_LINK_EXPIRY_SECONDS = 7 * 24 * 3_600;
/**
 * A redrive starts no batch after this long: `sls invoke` gives up on its socket after 120 s and invokes
 * again, so a run returns its summary ("run it again") well before that (function timeout: 110 s).
 */
export const DEFAULT_REDRIVE_TIME_BUDGET_MS = 90_000;
/** Redrive stops starting new batches once the invocation has less time left than this. */
export const DEFAULT_REDRIVE_TIME_RESERVE_MS = 10_000;
/** A dry run looks at up to this many dead letters (10 receives), for its reasons and samples. */
export const REDRIVE_DRY_RUN_LOOK_AT = 100;
/** What a dry run looks at is hidden for at most this long: it is made visible again as the run ends. */
export const REDRIVE_DRY_RUN_HOLD_SECONDS = 20;
export const REDRIVE_MAX_SAMPLES = 10;
/** Long polling, so that an empty receive means an empty queue. */
export const REDRIVE_WAIT_TIME_SECONDS = 1;
/** The worker's long poll: SQS's longest, so an idle worker makes 3 receives a minute. */
export const WORKER_WAIT_TIME_SECONDS = 20;
/**
 * How long the worker hides a message it works on; it extends this every third of it while the work
 * goes on. Short, so that a worker killed outright (SIGKILL, a lost machine) holds its messages at most
 * this long; at least RENDER_BUDGET_MS + INVOCATION_HEADROOM_MS (25 s by default), the time a record needs.
 */
export const DEFAULT_WORKER_VISIBILITY_TIMEOUT_SECONDS = 60;
/**
 * After SIGINT/SIGTERM the worker lets what is in flight finish for this long, then releases the rest
 * (visibility 0). Below the 30 s after which ECS and Kubernetes send SIGKILL by default.
 */
export const DEFAULT_WORKER_SHUTDOWN_GRACE_MS = 20_000;
/** After a second signal, how long the worker waits at most for dead letters being handed off (src/worker/forced-exit.ts). */
export const WORKER_HAND_OFF_WAIT_MS = 5_000;

function required(env: Env, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError(`${name} must be set`);
  return value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

/** A bus name as EventBridge accepts it (a name in this account and region, not an ARN). */
function eventBusName(env: Env): string {
  const value = env.EVENT_BUS_NAME?.trim() || DEFAULT_EVENT_BUS_NAME;
  if (!/^[\w.-]{1,256}$/.test(value)) {
    throw new ConfigError(`EVENT_BUS_NAME must be an event bus name (letters, digits, . _ -), got "${value}"`);
  }
  return value;
}

function outputFormat(env: Env): OutputFormatSetting {
  const value = env.THUMBNAIL_FORMAT?.trim().toLowerCase() || DEFAULT_THUMBNAIL_FORMAT;
  if (!isOutputFormatSetting(value)) {
    throw new ConfigError(`THUMBNAIL_FORMAT must be auto, ${OUTPUT_FORMATS.join(', ')}; got "${value}"`);
  }
  return value;
}

/** The decode budget follows the function's memory, which Lambda states in AWS_LAMBDA_FUNCTION_MEMORY_SIZE. */
function defaultDecodeBytes(env: Env): number {
  const memoryMb = integer(env, 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', DEFAULT_FUNCTION_MEMORY_MB, 128, 10_240);
  return Math.floor(memoryMb * 2 ** 20 * DECODE_BUDGET_SHARE);
}

export interface ThumbnailConfig extends ThumbnailSettings {
  readonly imagesQueueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly retry: RetryPolicy;
  readonly render: RenderLimits;
  readonly invocationHeadroomMs: number;
  /** Where uploads recognised as videos are sent; unset, a video is dead-lettered as `unsupported-format`. */
  readonly videosQueueUrl: string | undefined;
  /** Where "Thumbnails Created" and "Thumbnails Failed" events go. */
  readonly eventBusName: string;
}

export function loadThumbnailConfig(env: Env = process.env): ThumbnailConfig {
  const sizesSpec = env.THUMBNAIL_SIZES?.trim() || DEFAULT_THUMBNAIL_SIZES;
  let sizes;
  try {
    sizes = parseBoundingBoxes(sizesSpec);
  } catch (error) {
    throw new ConfigError(`THUMBNAIL_SIZES: ${(error as Error).message}`);
  }
  return {
    thumbnailsBucket: required(env, 'THUMBNAILS_BUCKET'),
    sizes,
    outputFormat: outputFormat(env),
    quality: integer(env, 'THUMBNAIL_QUALITY', DEFAULT_THUMBNAIL_QUALITY, 1, 100),
    maxImageBytes: integer(env, 'MAX_IMAGE_BYTES', DEFAULT_MAX_IMAGE_BYTES, 1, Number.MAX_SAFE_INTEGER),
    maxImagePixels: integer(env, 'MAX_IMAGE_PIXELS', DEFAULT_MAX_IMAGE_PIXELS, 1, Number.MAX_SAFE_INTEGER),
    maxDecodeBytes: integer(env, 'MAX_DECODE_BYTES', defaultDecodeBytes(env), 1, Number.MAX_SAFE_INTEGER),
    imagesQueueUrl: required(env, 'IMAGES_QUEUE_URL'),
    deadLetterQueueUrl: required(env, 'DEAD_LETTER_QUEUE_URL'),
    retry: {
      baseDelaySeconds: integer(env, 'RETRY_BASE_DELAY_SECONDS', DEFAULT_RETRY_BASE_DELAY_SECONDS, 0, 43_200),
      // SQS's own ceiling for a visibility timeout is 12 hours.
      maxDelaySeconds: integer(env, 'RETRY_MAX_DELAY_SECONDS', DEFAULT_RETRY_MAX_DELAY_SECONDS, 0, 43_200),
    },
    render: {
      // Lambda's longest timeout is 15 minutes.
      budgetMs: integer(env, 'RENDER_BUDGET_MS', DEFAULT_RENDER_BUDGET_MS, 1, 900_000),
      maxHeapMb: integer(env, 'RENDER_WORKER_MAX_HEAP_MB', DEFAULT_RENDER_WORKER_MAX_HEAP_MB, 16, 10_240),
    },
    invocationHeadroomMs: integer(env, 'INVOCATION_HEADROOM_MS', DEFAULT_INVOCATION_HEADROOM_MS, 0, 900_000),
    videosQueueUrl: env.VIDEOS_QUEUE_URL?.trim() || undefined,
    eventBusName: eventBusName(env),
  };
}

function oneBox(env: Env, name: string, fallback: string): BoundingBox {
  const spec = env[name]?.trim() || fallback;
  let boxes;
  try {
    boxes = parseBoundingBoxes(spec);
  } catch (error) {
    throw new ConfigError(`${name}: ${(error as Error).message}`);
  }
  if (boxes.length !== 1) throw new ConfigError(`${name} must be one WIDTHxHEIGHT size, got "${spec}"`);
  return boxes[0]!;
}

export interface VideoConfig extends ThumbnailConfig {
  readonly videosQueueUrl: string;
  readonly video: VideoSettings;
}

/** The video function's settings: the thumbnail function's (sizes, format, render limits), and its own. */
export function loadVideoConfig(env: Env = process.env): VideoConfig {
  return {
    ...loadThumbnailConfig(env),
    videosQueueUrl: required(env, 'VIDEOS_QUEUE_URL'),
    video: {
      limits: {
        maxDurationSeconds: integer(env, 'MAX_VIDEO_SECONDS', DEFAULT_MAX_VIDEO_SECONDS, 1, 10 * 24 * 3600),
        maxFramePixels: integer(env, 'MAX_VIDEO_FRAME_PIXELS', DEFAULT_MAX_VIDEO_FRAME_PIXELS, 1, 100_000_000),
      },
      frameCount: integer(env, 'VIDEO_FRAME_COUNT', DEFAULT_VIDEO_FRAME_COUNT, 1, 100),
      frameBox: oneBox(env, 'VIDEO_FRAME_SIZE', DEFAULT_VIDEO_FRAME_SIZE),
      tileBox: oneBox(env, 'STORYBOARD_TILE_SIZE', DEFAULT_STORYBOARD_TILE_SIZE),
      // Relative to the function's directory, where the package puts it.
      ffmpegPath: env.FFMPEG_PATH?.trim()
        ? resolve(env.LAMBDA_TASK_ROOT ?? process.cwd(), env.FFMPEG_PATH.trim())
        : undefined,
      headroomMs: integer(env, 'VIDEO_HEADROOM_MS', DEFAULT_VIDEO_HEADROOM_MS, 0, 900_000),
    },
  };
}

export interface RedriveConfig {
  readonly deadLetterQueueUrl: string;
  readonly imagesQueueUrl: string;
  readonly limits: RedriveLimits;
}

export function loadRedriveConfig(env: Env = process.env): RedriveConfig {
  return {
    deadLetterQueueUrl: required(env, 'DEAD_LETTER_QUEUE_URL'),
    imagesQueueUrl: required(env, 'IMAGES_QUEUE_URL'),
    limits: {
      timeBudgetMs: integer(env, 'REDRIVE_TIME_BUDGET_MS', DEFAULT_REDRIVE_TIME_BUDGET_MS, 1, 900_000),
      timeReserveMs: integer(env, 'REDRIVE_TIME_RESERVE_MS', DEFAULT_REDRIVE_TIME_RESERVE_MS, 0, 900_000),
      dryRunLookAt: REDRIVE_DRY_RUN_LOOK_AT,
      dryRunHoldSeconds: REDRIVE_DRY_RUN_HOLD_SECONDS,
      maxSamples: REDRIVE_MAX_SAMPLES,
      waitTimeSeconds: REDRIVE_WAIT_TIME_SECONDS,
    },
  };
}

export interface NotifyConfig {
  /** The SNS topic the notifyEmail address is subscribed to. */
  readonly topicArn: string;
  readonly linkExpirySeconds: number;
}

export function loadNotifyConfig(env: Env = process.env): NotifyConfig {
  return {
    topicArn: required(env, 'NOTIFY_TOPIC_ARN'),
    linkExpirySeconds: integer(
      env,
      'NOTIFY_LINK_EXPIRY_SECONDS',
      DEFAULT_NOTIFY_LINK_EXPIRY_SECONDS,
      1,
      MAX_NOTIFY_LINK_EXPIRY_SECONDS,
    ),
  };
}
