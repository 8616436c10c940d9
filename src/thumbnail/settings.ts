import type { OutputFormatSetting } from '../images/types';
import type { BoundingBox } from './sizes';

/**
 * What the thumbnail function is configured with, as src/config.ts reads it from the environment. A leaf
 * of types: config imports it, and the modules that do the work take these as parameters.
 */
export interface ThumbnailSettings {
  readonly thumbnailsBucket: string;
  readonly sizes: readonly BoundingBox[];
  /** `auto`: JPEG for opaque images, PNG where there is transparency. */
  readonly outputFormat: OutputFormatSetting;
  /** 1-100, for JPEG, WebP and AVIF. */
  readonly quality: number;
  /** Objects larger than this are rejected without being downloaded. */
  readonly maxImageBytes: number;
  /** Images whose header declares more pixels than this are rejected before decoding. */
  readonly maxImagePixels: number;
  /** Decodes whose estimated memory (bit depth and channels counted) is larger are refused before they start. */
  readonly maxDecodeBytes: number;
}

export interface RenderLimits {
  /** A render running longer is stopped (its worker terminated) and fails with `render-timed-out`. */
  readonly budgetMs: number;
  /** Old-generation heap of the worker; exceeding it fails the render with `render-out-of-memory`. */
  readonly maxHeapMb: number;
}

/** Delays before a failed message is received again (thumbnail/retry-backoff.ts). */
export interface RetryPolicy {
  /** Delay before the first retry; doubles with every further receive. */
  readonly baseDelaySeconds: number;
  /** Upper bound of the delay (at most the queue's visibility timeout). */
  readonly maxDelaySeconds: number;
}
