import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  accessSync,
  chmodSync,
  constants,
  copyFileSync,
  existsSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { UnreadableVideoError, VideoTimedOutError, VideoTooLargeError, VideoUnreachableError } from '../errors';
import { lastErrorLine, parseProbeOutput, type VideoInfo } from './probe';

/** ffmpeg's stderr kept for reasons: its last lines say why it failed. */
const MAX_STDERR_CHARS = 64 * 1024;

/**
 * The ffmpeg binary to run: `configured` (FFMPEG_PATH: on Lambda, the one plugins/ffmpeg-package.js put
 * into the function's package), else the host's @ffmpeg-installer package from node_modules (tests, scripts).
 * A package unzipped without file modes (an emulator may do that) leaves it not executable: then a copy in
 * the temporary directory is made executable, once per container.
 */
export function locateFfmpeg(configured: string | undefined): string {
  const binary = configured ?? require.resolve(`@ffmpeg-installer/${process.platform}-${process.arch}/ffmpeg`);
  try {
    accessSync(binary, constants.X_OK);
    return binary;
  } catch {
    const copy = join(tmpdir(), `ffmpeg-${statSync(binary).size}`);
    try {
      accessSync(copy, constants.X_OK);
    } catch {
      copyFileSync(binary, `${copy}.partial`);
      chmodSync(`${copy}.partial`, 0o755);
      renameSync(`${copy}.partial`, copy);
    }
    return copy;
  }
}

export interface FfmpegRun {
  readonly exitCode: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

export interface RunLimits {
  /** The child is killed (SIGKILL) once it runs longer; the run fails with `video-timed-out`. */
  readonly timeoutMs: number;
  /** The child is killed once it writes more; the run fails with `video-resolution-too-high`. */
  readonly maxStdoutBytes: number;
}

/** Runs ffmpeg with `args`, bounded in time and output, and collects what it writes. */
export function runFfmpeg(binary: string, args: readonly string[], limits: RunLimits): Promise<FfmpegRun> {
  return new Promise((resolve, reject) => {
    if (limits.timeoutMs <= 0) {
      reject(new VideoTimedOutError('video-timed-out', 'no time was left in the invocation to run ffmpeg'));
      return;
    }
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = '';
    let stopped: Error | undefined;
    const stop = (error: Error) => {
      stopped ??= error;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(
      () =>
        stop(
          new VideoTimedOutError(
            'video-timed-out',
            `ffmpeg ran longer than the ${limits.timeoutMs} ms the invocation had left for it and was stopped`,
          ),
        ),
      limits.timeoutMs,
    );
    child.stdout.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes > limits.maxStdoutBytes) {
        stop(
          new VideoTooLargeError(
            'video-resolution-too-high',
            `a frame took more than ${limits.maxStdoutBytes.toLocaleString('en')} bytes and was refused`,
          ),
        );
        return;
      }
      chunks.push(chunk);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      stderr = (stderr + text).slice(-MAX_STDERR_CHARS);
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      // Not the video's fault (no binary, not executable): transient, so the message is retried.
      reject(new Error(`ffmpeg could not be started: ${error.message}`));
    });
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      if (stopped) reject(stopped);
      else resolve({ exitCode, stdout: Buffer.concat(chunks), stderr });
    });
  });
}

/** The ffmpeg operations the video pipeline needs, each bounded by the time it is given. */
export interface Ffmpeg {
  /** Reads the container and the first video stream's description. */
  probe(url: string, timeoutMs: number): Promise<VideoInfo>;
  /**
   * The frame shown at `atMs`, display rotation applied, as an uncompressed BMP for the render step.
   * `maxBytes` bounds what is read back.
   */
  frame(url: string, atMs: number, timeoutMs: number, maxBytes: number): Promise<Buffer>;
}

const QUIET = ['-hide_banner', '-nostdin'];

/**
 * A file of the certificate authorities Node trusts (its bundled Mozilla store, `tls.rootCertificates`),
 * written once per process to the temporary directory: ffmpeg (GnuTLS) checks an HTTPS endpoint's
 * certificate and host name only with `-tls_verify 1` and a CA file, and the bundle this way is the same
 * wherever the function runs, whatever the image's own certificate paths.
 */
let caBundle: string | undefined;
export function nodeCaBundleFile(): string {
  if (caBundle && existsSync(caBundle)) return caBundle;
  const pem = `${rootCertificates.join('\n')}\n`;
  const file = join(tmpdir(), `ffmpeg-ca-${createHash('sha256').update(pem).digest('hex').slice(0, 16)}.pem`);
  if (!existsSync(file)) {
    // Written beside and renamed: another process never reads a half-written file.
    const partial = `${file}.${process.pid}.partial`;
    writeFileSync(partial, pem);
    renameSync(partial, file);
  }
  caBundle = file;
  return file;
}

/** ffmpeg's words for failing to fetch its input (connection, TLS, HTTP), as opposed to failing to read it. */
const TRANSPORT_FAILURE =
  /Peer certificate failed verification|does not match hostname|Connection refused|Connection timed out|Connection reset|Network is unreachable|Failed to resolve hostname|Server returned [45]|Input\/output error/;

/** Throws VideoUnreachableError if `stderr` says the input could not be fetched. */
function throwIfUnreachable(stderr: string, url: string): void {
  const cleaned = withoutUrl(stderr, url);
  const line = cleaned.split('\n').find((candidate) => TRANSPORT_FAILURE.test(candidate));
  if (line) throw new VideoUnreachableError(`ffmpeg could not fetch the video: ${line.trim().slice(0, 300)}`);
}

export interface FfmpegOptions {
  /** The CA file HTTPS inputs are checked against (default: Node's, nodeCaBundleFile). */
  readonly caFile?: () => string;
}

/**
 * ffmpeg's messages name the input: a presigned URL, whose signature must not reach logs and dead letters
 * (it grants reading the object until it expires).
 */
export function withoutUrl(stderr: string, url: string): string {
  return stderr.split(url).join('<presigned URL>');
}

export function createFfmpeg(binary: () => string, { caFile = nodeCaBundleFile }: FfmpegOptions = {}): Ffmpeg {
  // Input options: an HTTPS input's certificate and host name checked (ffmpeg 4.1 checks neither by default).
  const input = (url: string) => [
    ...(url.startsWith('https:') ? ['-tls_verify', '1', '-ca_file', caFile()] : []),
    '-i',
    url,
  ];
  return {
    async probe(url, timeoutMs) {
      // With no output ffmpeg describes the input on stderr and exits 1; that description is what we want.
      const { stderr } = await runFfmpeg(binary(), [...QUIET, ...input(url)], { timeoutMs, maxStdoutBytes: 0 });
      if (!/^Input #0, /m.test(stderr)) throwIfUnreachable(stderr, url);
      return parseProbeOutput(withoutUrl(stderr, url));
    },
    async frame(url, atMs, timeoutMs, maxBytes) {
      // -ss before -i seeks in the input (by range requests over HTTP) instead of decoding from the start;
      // ffmpeg then decodes from the keyframe before it to the exact time, and rotates as the video says.
      const args = (seek: string[]) => [
        ...QUIET,
        '-v',
        'error',
        ...seek,
        '-ss',
        (atMs / 1000).toFixed(3),
        ...input(url),
        '-map',
        '0:v:0',
        '-frames:v',
        '1',
        '-f',
        'image2pipe',
        '-c:v',
        'bmp',
        '-',
      ];
      const startedAt = Date.now();
      let run = await runFfmpeg(binary(), args([]), { timeoutMs, maxStdoutBytes: maxBytes });
      if (run.exitCode === 0 && run.stdout.length === 0) {
        // Nothing at or after that time (a stated duration longer than the frames): the keyframe before it.
        const left = timeoutMs - (Date.now() - startedAt);
        run = await runFfmpeg(binary(), args(['-noaccurate_seek']), { timeoutMs: left, maxStdoutBytes: maxBytes });
      }
      if (run.exitCode !== 0 || run.stdout.length === 0) {
        throwIfUnreachable(run.stderr, url);
        const reason =
          lastErrorLine(withoutUrl(run.stderr, url)) ?? `ffmpeg exited with code ${run.exitCode} and no frame`;
        throw new UnreadableVideoError('corrupt-video', `no frame could be decoded at ${atMs} ms: ${reason}`);
      }
      return run.stdout;
    },
  };
}
