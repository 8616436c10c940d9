import type { BoundingBox } from '../thumbnail/sizes';

/**
 * What the video function is configured with beyond the thumbnail settings, as src/config.ts reads it
 * from the environment. A leaf of types.
 */
export interface VideoLimits {
  /** Longer videos are refused (`video-too-long`) before any frame is decoded. */
  readonly maxDurationSeconds: number;
  /** Videos whose frames have more pixels are refused (`video-resolution-too-high`). */
  readonly maxFramePixels: number;
}

export interface VideoSettings {
  readonly limits: VideoLimits;
  /** Frames of the storyboard, evenly spaced over the duration; also the frames stored under <key>/frames/. */
  readonly frameCount: number;
  /** Box each stored frame is fitted into. */
  readonly frameBox: BoundingBox;
  /** Box each storyboard tile is fitted into. */
  readonly tileBox: BoundingBox;
  /** Where the ffmpeg binary is; empty: the packaged one (ffmpeg-binary.ts). */
  readonly ffmpegPath: string | undefined;
  /** Time kept back from the invocation for writing the outputs and reporting the batch. */
  readonly headroomMs: number;
}
