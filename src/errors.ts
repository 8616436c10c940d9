/**
 * Every failure code and its error class, in one place. A PermanentFailure goes to the dead-letter queue
 * at once with its code and reason; anything else thrown is transient and left to SQS to retry.
 */

/**
 * Why an input can never be processed; sent with the message to the dead-letter queue. A runtime list,
 * so the redrive can validate the codes an operator names.
 */
export const FAILURE_CODES = [
  /** The message is not an S3 event notification. */
  'invalid-message',
  'empty-object',
  /** Not an image in a format the decode layer recognises. */
  'unsupported-format',
  /** Recognised, but its data cannot be decoded (truncated, bad checksums, malformed header). */
  'corrupt-image',
  'too-many-bytes',
  /** The frame or page that would be decoded declares more pixels than MAX_IMAGE_PIXELS. */
  'too-many-pixels',
  /** Decoding would need more memory than the function's decode budget (bit depth and channels counted). */
  'over-memory-budget',
  /** A frame (GIF, animated WebP) reaches outside the canvas its file declares. */
  'frame-outside-canvas',
  /** A progressive JPEG with more scans than any encoder writes: each one costs a full pass. */
  'too-many-scans',
  /** PNG image data (or a TIFF Deflate strip) that inflates to more than its header can account for. */
  'inflated-size-exceeded',
  /**
   * Compressed image data (GIF LZW, TIFF strips) far longer than any encoder writes for the pixels the
   * header declares: decoding it would be work for nothing.
   */
  'excess-compressed-data',
  'key-too-long',
  /** The thumbnails' user metadata (source bucket and URL-encoded key) would exceed S3's 2 KB limit. */
  'metadata-too-large',
  /** The render ran past RENDER_BUDGET_MS; its worker was terminated. */
  'render-timed-out',
  /** The render worker ran out of its JavaScript heap (RENDER_WORKER_MAX_HEAP_MB); it was terminated. */
  'render-out-of-memory',
  /** A video container ffmpeg cannot read, or a frame it cannot decode (truncated, corrupt). */
  'corrupt-video',
  /** A video container without a video stream (audio only). */
  'no-video-stream',
  /** A video longer than MAX_VIDEO_SECONDS. */
  'video-too-long',
  /** A video whose frames have more pixels than MAX_VIDEO_FRAME_PIXELS. */
  'video-resolution-too-high',
  /** ffmpeg ran longer than the invocation had left for it and was stopped. */
  'video-timed-out',
] as const;

export type FailureCode = (typeof FAILURE_CODES)[number];

/**
 * A failure that retrying cannot fix: the input itself is wrong (not an S3 event, not an image, too
 * large, ...). Such a message goes to the dead-letter queue at once, with its reason. Anything else
 * (throttling, network, 5xx) is transient and left to SQS to retry.
 */
export class PermanentFailure extends Error {
  override readonly name: string = 'PermanentFailure';

  constructor(
    readonly code: FailureCode,
    message: string,
  ) {
    super(message);
  }
}

/** The message is not something this pipeline can act on; retrying will not change that. */
export class InvalidMessageError extends PermanentFailure {
  override readonly name = 'InvalidMessageError';

  constructor(message: string) {
    super('invalid-message', message);
  }
}

/** The bytes are not an image this pipeline can decode: empty, an unknown or unsupported format, corrupt. */
export class UnreadableImageError extends PermanentFailure {
  override readonly name = 'UnreadableImageError';
}

/**
 * The image is larger than a limit: bytes, pixels, decode memory, or a structure (scans, frames,
 * inflated data) beyond what its header declares. Refused before the expensive work starts.
 */
export class ImageTooLargeError extends PermanentFailure {
  override readonly name = 'ImageTooLargeError';
}

/** A video that ffmpeg cannot make frames of: corrupt, truncated, or without a video stream. */
export class UnreadableVideoError extends PermanentFailure {
  override readonly name = 'UnreadableVideoError';
}

/** A video beyond a limit (duration, resolution), refused before its frames are decoded. */
export class VideoTooLargeError extends PermanentFailure {
  override readonly name = 'VideoTooLargeError';
}

/** ffmpeg was stopped: it needed more time than the invocation had left. */
export class VideoTimedOutError extends PermanentFailure {
  override readonly name = 'VideoTimedOutError';
}

/**
 * The object is a video: the image function sent it to the videos queue, where the video function makes
 * its poster, storyboard and frames. Not a failure.
 */
export class ObjectForwardedError extends Error {
  override readonly name = 'ObjectForwardedError';
}

/** The object was deleted (or overwritten by a delete marker) after its notification was sent. Not a failure. */
export class ObjectGoneError extends Error {
  override readonly name = 'ObjectGoneError';
}

/**
 * ffmpeg could not fetch the video: a connection, TLS or HTTP failure, not the file's fault. Transient:
 * the record is retried, and reaches the dead-letter queue (retries-exhausted) only if it keeps failing.
 */
export class VideoUnreachableError extends Error {
  override readonly name = 'VideoUnreachableError';
}

/** The render was stopped from outside (over its time budget, or its worker out of memory). */
export class RenderStoppedError extends PermanentFailure {
  override readonly name = 'RenderStoppedError';
}

/**
 * The object was overwritten after its notification was sent (its ETag no longer matches): the newer
 * upload has a notification of its own, so this one is done. Not a failure.
 */
export class ObjectSupersededError extends Error {
  override readonly name = 'ObjectSupersededError';
}

/**
 * The invocation had too little time left to start this record within its budget; it is reported as
 * failed so SQS delivers it again after the retry delay. Transient by design.
 */
export class RecordDeferredError extends Error {
  override readonly name = 'RecordDeferredError';
}

/**
 * EventBridge did not accept a "Thumbnails Created" or "Thumbnails Failed" event. Transient: the record is
 * retried (its thumbnails are written again, byte for byte, and the event put again), never acknowledged
 * without its event.
 */
export class EventNotPublishedError extends Error {
  override readonly name = 'EventNotPublishedError';
}

/** Best short description of anything thrown, for log lines and summaries. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
