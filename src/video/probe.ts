import { UnreadableVideoError, VideoTooLargeError } from '../errors';
import type { VideoLimits } from './settings';

/** What ffmpeg reads from a video's container and first video stream, before any frame is decoded. */
export interface VideoInfo {
  /** Seconds. */
  readonly durationSeconds: number;
  /** Stored size of the frames. */
  readonly width: number;
  readonly height: number;
  /** Display rotation, clockwise degrees (0, 90, 180, 270): a phone held upright records 90. */
  readonly rotation: number;
  /** ffmpeg's name of the video codec (h264, hevc, vp8, vp9, av1, ...). */
  readonly codec: string;
  /** ffmpeg's name of the container (e.g. `mov,mp4,m4a,3gp,3g2,mj2`, `matroska,webm`). */
  readonly container: string;
  /** Frames a second, where the stream states it. */
  readonly framesPerSecond?: number;
}

/** The size a frame is shown at: the stored size, turned a quarter when the rotation is 90 or 270 degrees. */
export function displayedDimensions(info: Pick<VideoInfo, 'width' | 'height' | 'rotation'>): {
  width: number;
  height: number;
} {
  return info.rotation % 180 === 0
    ? { width: info.width, height: info.height }
    : { width: info.height, height: info.width };
}

/** Degrees normalised to 0-359, rounded to the quarter turn frames can be shown at. */
function quarterTurn(degrees: number): number {
  return (((Math.round(degrees / 90) * 90) % 360) + 360) % 360;
}

function parseDuration(text: string): number | undefined {
  const match = /Duration: (\d+):(\d{2}):(\d{2}(?:\.\d+)?)/.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3]);
}

/**
 * Reads what `ffmpeg -i <input>` prints about the input (its stderr). ffmpeg's own reasons for refusing
 * an input become the failure's reason: a truncated MP4 without its index, bytes of no known container.
 * Throws UnreadableVideoError (`corrupt-video`, `no-video-stream`) when there is nothing to make frames of.
 */
export function parseProbeOutput(stderr: string): VideoInfo {
  const inputLine = /^Input #0, (.+?), from /m.exec(stderr);
  if (!inputLine) {
    const reason = lastErrorLine(stderr) ?? 'ffmpeg could not read it';
    throw new UnreadableVideoError('corrupt-video', `the video cannot be read: ${reason}`);
  }
  const videoLine = /^\s*Stream #0:\d+(?:\[0x[0-9a-f]+\])?(?:\([^)]*\))?: Video: ([^\s,]+)[^\n]*?, (\d+)x(\d+)/m.exec(
    stderr,
  );
  if (!videoLine) {
    const audio = /Stream #0:\d+[^\n]*: Audio: /.test(stderr);
    throw new UnreadableVideoError(
      'no-video-stream',
      audio ? 'the file has audio but no video stream' : 'the file has no video stream',
    );
  }
  const durationSeconds = parseDuration(stderr);
  if (durationSeconds === undefined || !(durationSeconds > 0)) {
    throw new UnreadableVideoError('corrupt-video', 'the video states no duration (ffmpeg reads "Duration: N/A")');
  }
  // The first video stream's own block: its metadata and side data, up to the next stream.
  const streamBlock = stderr.slice(videoLine.index).split(/\n\s*Stream #/)[0] ?? '';
  const rotateTag = /^\s*rotate\s*:\s*(-?\d+(?:\.\d+)?)/m.exec(streamBlock);
  const displayMatrix = /displaymatrix: rotation of (-?\d+(?:\.\d+)?) degrees/.exec(streamBlock);
  // The tag is clockwise; the display matrix counter-clockwise (ffmpeg prints -90 for a tag of 90).
  const rotation = rotateTag
    ? quarterTurn(Number(rotateTag[1]))
    : displayMatrix
      ? quarterTurn(-Number(displayMatrix[1]))
      : 0;
  const fps = /, (\d+(?:\.\d+)?) fps/.exec(streamBlock.split('\n')[0] ?? '');
  return {
    ...(fps && Number(fps[1]) > 0 ? { framesPerSecond: Number(fps[1]) } : {}),
    durationSeconds,
    width: Number(videoLine[2]),
    height: Number(videoLine[3]),
    rotation,
    codec: videoLine[1]!,
    container: inputLine[1]!,
  };
}

/** ffmpeg's last line that is not the usage note it prints when given no output. */
export function lastErrorLine(stderr: string): string | undefined {
  const lines = stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && line !== 'At least one output file must be specified');
  return lines.at(-1)?.slice(0, 300);
}

/** Refuses, before any frame is decoded, a video longer or larger than the configured limits. */
export function checkVideoLimits(info: VideoInfo, limits: VideoLimits): void {
  if (info.durationSeconds > limits.maxDurationSeconds) {
    throw new VideoTooLargeError(
      'video-too-long',
      `the video lasts ${info.durationSeconds.toFixed(1)} s, over the limit of ${limits.maxDurationSeconds} s (MAX_VIDEO_SECONDS)`,
    );
  }
  const pixels = info.width * info.height;
  if (pixels > limits.maxFramePixels) {
    throw new VideoTooLargeError(
      'video-resolution-too-high',
      `the video's frames are ${info.width}x${info.height} (${pixels.toLocaleString('en')} pixels), over the limit of ${limits.maxFramePixels.toLocaleString('en')} (MAX_VIDEO_FRAME_PIXELS)`,
    );
  }
}
