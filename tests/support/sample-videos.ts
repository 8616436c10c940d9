/**
 * Short, small test videos made at test time by the packaged ffmpeg (@ffmpeg-installer, the host's), from
 * its built-in `testsrc` pattern: nothing binary is kept in the repository, and each takes milliseconds.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { locateFfmpeg } from '../../src/video/ffmpeg';

const run = promisify(execFile);

export const ffmpegBinary = (): string => locateFfmpeg(undefined);

export interface VideoSpec {
  readonly width: number;
  readonly height: number;
  readonly seconds: number;
  /** MP4 (default) or WebM. */
  readonly container?: 'mp4' | 'webm';
  /** H.264 (MP4's default), VP8 (WebM's default), HEVC, VP9 or AV1. */
  readonly codec?: VideoCodec;
  /** Seconds of black before the pattern starts (a dark opening the poster must pass over). */
  readonly blackSeconds?: number;
  /** Display rotation tag, clockwise degrees (what a phone held upright writes: 90). */
  readonly rotation?: number;
  /** MP4 only: the index (moov) after the data, as ffmpeg writes by default; a cut file then loses it. */
  readonly indexAtEnd?: boolean;
  /** Noise over the pattern, nearly incompressible: a file large for its length (about 0.5 MB a second at 160x120). */
  readonly noisy?: boolean;
}

export type VideoCodec = 'h264' | 'vp8' | 'hevc' | 'vp9' | 'av1';

/** The packaged ffmpeg's encoders, set for speed: test videos are tiny and short. */
const ENCODERS: Record<VideoCodec, string[]> = {
  h264: ['-c:v', 'libx264'],
  vp8: ['-c:v', 'libvpx', '-b:v', '300k'],
  hevc: ['-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error', '-tag:v', 'hvc1'],
  vp9: ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-b:v', '300k'],
  av1: ['-c:v', 'libaom-av1', '-cpu-used', '8', '-strict', 'experimental', '-b:v', '200k'],
};

async function withTemporaryDirectory<T>(use: (directory: string) => Promise<T>): Promise<T> {
  const directory = await mkdtemp(join(tmpdir(), 'sample-video-'));
  try {
    return await use(directory);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

async function ffmpeg(args: string[]): Promise<void> {
  await run(ffmpegBinary(), ['-hide_banner', '-nostdin', '-v', 'error', '-y', ...args]);
}

export function makeVideo(spec: VideoSpec): Promise<Buffer> {
  const { width, height, seconds, container = 'mp4', blackSeconds = 0, rotation, indexAtEnd = false, noisy } = spec;
  const codec = spec.codec ?? (container === 'webm' ? 'vp8' : 'h264');
  return withTemporaryDirectory(async (directory) => {
    const size = `${width}x${height}`;
    const pattern = `testsrc=s=${size}:r=10:d=${seconds}${noisy ? ',noise=alls=60:allf=t' : ''}`;
    const source =
      blackSeconds > 0
        ? `color=c=black:s=${size}:r=10:d=${blackSeconds}[b];${pattern}[t];[b][t]concat=n=2:v=1:a=0[out0]`
        : pattern;
    const encoded = join(directory, `encoded.${container}`);
    const encoder = [
      ...ENCODERS[codec],
      '-pix_fmt',
      'yuv420p',
      ...(noisy ? ['-preset', 'ultrafast', '-qp', '10', '-g', '10'] : []),
      ...(container === 'mp4' && !indexAtEnd ? ['-movflags', '+faststart'] : []),
    ];
    await ffmpeg(['-f', 'lavfi', '-i', source, ...encoder, encoded]);
    if (rotation === undefined) return readFile(encoded);
    // ffmpeg writes a rotation tag only when it copies a stream, not when it encodes one.
    const rotated = join(directory, `rotated.${container}`);
    await ffmpeg(['-i', encoded, '-c', 'copy', '-metadata:s:v:0', `rotate=${rotation}`, rotated]);
    return readFile(rotated);
  });
}

/** An MP4 (AAC in an M4A container) with one second of a tone and no video stream. */
export function makeAudioOnly(): Promise<Buffer> {
  return withTemporaryDirectory(async (directory) => {
    const file = join(directory, 'tone.m4a');
    await ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-c:a', 'aac', file]);
    return readFile(file);
  });
}
