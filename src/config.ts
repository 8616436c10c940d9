import type { ThumbnailSettings } from './thumbnail/create-thumbnails';
import type { RetryPolicy } from './thumbnail/retry-backoff';
import { parseBoxSizes } from './thumbnail/sizes';

/** The environment is missing a setting or holds one that makes no sense; names the variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Env = Readonly<Record<string, string | undefined>>;

export const DEFAULT_THUMBNAIL_SIZES = '75x75,125x125,1280x720';
export const DEFAULT_JPEG_QUALITY = 80;
/** 50 megapixels: about 200 MB once decoded to RGBA. */
export const DEFAULT_MAX_IMAGE_PIXELS = 50_000_000;
/** 50 MiB: far above any camera JPEG, and small enough to hold in memory next to the decoded image. */
export const DEFAULT_MAX_IMAGE_BYTES = 50 * 1024 * 1024;
/** A failed message is retried after 10 s, then 20 s, 40 s, ... (see thumbnail/retry-backoff.ts). */
export const DEFAULT_RETRY_BASE_DELAY_SECONDS = 10;
export const DEFAULT_RETRY_MAX_DELAY_SECONDS = 300;
/** Redrive stops starting new batches once the invocation has less time left than this. */
export const DEFAULT_REDRIVE_TIME_RESERVE_MS = 10_000;

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

export interface ThumbnailConfig extends ThumbnailSettings {
  readonly imagesQueueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly retry: RetryPolicy;
}

export function loadThumbnailConfig(env: Env = process.env): ThumbnailConfig {
  const sizesSpec = env.THUMBNAIL_SIZES?.trim() || DEFAULT_THUMBNAIL_SIZES;
  let sizes;
  try {
    sizes = parseBoxSizes(sizesSpec);
  } catch (error) {
    throw new ConfigError(`THUMBNAIL_SIZES: ${(error as Error).message}`);
  }
  return {
    thumbnailsBucket: required(env, 'THUMBNAILS_BUCKET'),
    sizes,
    jpegQuality: integer(env, 'JPEG_QUALITY', DEFAULT_JPEG_QUALITY, 1, 100),
    maxImageBytes: integer(env, 'MAX_IMAGE_BYTES', DEFAULT_MAX_IMAGE_BYTES, 1, Number.MAX_SAFE_INTEGER),
    maxImagePixels: integer(env, 'MAX_IMAGE_PIXELS', DEFAULT_MAX_IMAGE_PIXELS, 1, Number.MAX_SAFE_INTEGER),
    imagesQueueUrl: required(env, 'IMAGES_QUEUE_URL'),
    deadLetterQueueUrl: required(env, 'DEAD_LETTER_QUEUE_URL'),
    retry: {
      baseDelaySeconds: integer(env, 'RETRY_BASE_DELAY_SECONDS', DEFAULT_RETRY_BASE_DELAY_SECONDS, 0, 43_200),
      // SQS's own ceiling for a visibility timeout is 12 hours.
      maxDelaySeconds: integer(env, 'RETRY_MAX_DELAY_SECONDS', DEFAULT_RETRY_MAX_DELAY_SECONDS, 0, 43_200),
    },
  };
}

export interface RedriveConfig {
  readonly deadLetterQueueUrl: string;
  readonly imagesQueueUrl: string;
  readonly timeReserveMs: number;
}

export function loadRedriveConfig(env: Env = process.env): RedriveConfig {
  return {
    deadLetterQueueUrl: required(env, 'DEAD_LETTER_QUEUE_URL'),
    imagesQueueUrl: required(env, 'IMAGES_QUEUE_URL'),
    timeReserveMs: integer(env, 'REDRIVE_TIME_RESERVE_MS', DEFAULT_REDRIVE_TIME_RESERVE_MS, 0, 900_000),
  };
}
