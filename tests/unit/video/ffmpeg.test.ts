import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { UnreadableVideoError, VideoUnreachableError } from '../../../src/errors';
import { createFfmpeg, nodeCaBundleFile, runFfmpeg, withoutUrl } from '../../../src/video/ffmpeg';
import { ffmpegBinary, makeVideo } from '../../support/sample-videos';

jest.setTimeout(30_000);

/** Serves one object with range support, as S3 does, and keeps every request's Range header. */
async function serve(body: Buffer): Promise<{ url: string; ranges: (string | undefined)[]; server: Server }> {
  const ranges: (string | undefined)[] = [];
  const server = createServer((request, response) => {
    ranges.push(request.headers.range);
    const match = /^bytes=(\d+)-(\d*)$/.exec(request.headers.range ?? '');
    const start = match ? Number(match[1]) : 0;
    const end = match?.[2] ? Number(match[2]) : body.length - 1;
    response.writeHead(match ? 206 : 200, {
      'Accept-Ranges': 'bytes',
      'Content-Length': end - start + 1,
      ...(match ? { 'Content-Range': `bytes ${start}-${end}/${body.length}` } : {}),
    });
    response.end(body.subarray(start, end + 1));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/clip.mp4?X-Amz-Signature=secret`, ranges, server };
}

describe('ffmpeg reading a video over HTTP', () => {
  it('reads the index at the end of an MP4 and the frame it needs by range requests, not the whole object', async () => {
    const video = await makeVideo({ width: 160, height: 120, seconds: 4, indexAtEnd: true, noisy: true });
    const { url, ranges, server } = await serve(video);
    try {
      const ffmpeg = createFfmpeg(ffmpegBinary);
      const info = await ffmpeg.probe(url, 10_000);
      expect(info).toMatchObject({ width: 160, height: 120, codec: 'h264' });
      const frame = await ffmpeg.frame(url, 3_000, 10_000, 1_000_000);
      expect(frame.subarray(0, 2).toString('latin1')).toBe('BM');
    } finally {
      server.close();
    }
    const starts = ranges.map((range) => Number(/^bytes=(\d+)-/.exec(range ?? '')?.[1] ?? -1));
    // Every request is ranged. The index is read where it is, at the end, and the frame at 3 s of 4 from its
    // keyframe, three quarters in: ffmpeg seeks instead of reading through the data.
    expect(starts.every((start) => start >= 0)).toBe(true);
    expect(starts.filter((start) => start > 0.9 * video.length)).toHaveLength(2);
    expect(starts.filter((start) => start > 0.5 * video.length && start < 0.9 * video.length)).toHaveLength(1);
  });
});

/** A certificate for 127.0.0.1 that nothing trusts but the tests that name it (tests/fixtures/tls/). */
const SELF_SIGNED = join(__dirname, '../../fixtures/tls/self-signed-127.0.0.1.pem');

/** Serves `body` whole over HTTPS with the self-signed certificate. */
async function serveOverHttps(body: Buffer): Promise<{ url: string; server: Server }> {
  const server = createHttpsServer(
    { cert: readFileSync(SELF_SIGNED), key: readFileSync(SELF_SIGNED.replace('.pem', '-key.pem')) },
    (_request, response) => {
      response.writeHead(200, { 'Content-Length': body.length });
      response.end(body);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `https://127.0.0.1:${port}/clip.mp4?X-Amz-Signature=secret`, server: server as unknown as Server };
}

describe('ffmpeg reading a video over HTTPS', () => {
  it("checks the endpoint's certificate: one Node's CA store does not vouch for is refused, as transient", async () => {
    const video = await makeVideo({ width: 160, height: 120, seconds: 2 });
    const { url, server } = await serveOverHttps(video);
    try {
      const ffmpeg = createFfmpeg(ffmpegBinary);
      const refused = ffmpeg.probe(url, 10_000);
      await expect(refused).rejects.toBeInstanceOf(VideoUnreachableError);
      await expect(refused).rejects.toThrow(/certificate failed verification/);
      await expect(ffmpeg.frame(url, 500, 10_000, 1_000_000)).rejects.toBeInstanceOf(VideoUnreachableError);
    } finally {
      server.close();
    }
  });

  it('reads the video when its CA file vouches for the certificate, and keeps the URL out of the reason', async () => {
    const video = await makeVideo({ width: 160, height: 120, seconds: 2 });
    const { url, server } = await serveOverHttps(video);
    try {
      const ffmpeg = createFfmpeg(ffmpegBinary, { caFile: () => SELF_SIGNED });
      await expect(ffmpeg.probe(url, 10_000)).resolves.toMatchObject({ width: 160, height: 120 });
      const frame = await ffmpeg.frame(url, 500, 10_000, 1_000_000);
      expect(frame.subarray(0, 2).toString('latin1')).toBe('BM');
      const refused = await createFfmpeg(ffmpegBinary)
        .probe(url, 10_000)
        .catch((error: Error) => error);
      expect(String(refused)).not.toContain('X-Amz-Signature');
    } finally {
      server.close();
    }
  });

  it("writes Node's CA store to one file, once", () => {
    const file = nodeCaBundleFile();
    expect(nodeCaBundleFile()).toBe(file);
    expect(readFileSync(file, 'utf8')).toBe(`${rootCertificates.join('\n')}\n`);
  });
});

describe('ffmpeg failing to fetch a video', () => {
  it('an HTTP error is transient (retried), not corrupt-video; a file that is not a video still is', async () => {
    const server = createServer((request, response) => {
      if (request.url?.startsWith('/busy')) {
        response.writeHead(503).end();
      } else {
        response.writeHead(200, { 'Content-Length': 4096 }).end(Buffer.alloc(4096, 7));
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const ffmpeg = createFfmpeg(ffmpegBinary);
      const busy = `http://127.0.0.1:${port}/busy.mp4`;
      await expect(ffmpeg.probe(busy, 10_000)).rejects.toBeInstanceOf(VideoUnreachableError);
      await expect(ffmpeg.frame(busy, 0, 10_000, 1_000_000)).rejects.toBeInstanceOf(VideoUnreachableError);
      await expect(ffmpeg.probe(`http://127.0.0.1:${port}/noise.mp4`, 10_000)).rejects.toBeInstanceOf(
        UnreadableVideoError,
      );
    } finally {
      server.close();
    }
  });
});

describe('bounded ffmpeg runs', () => {
  it('kills ffmpeg when it runs past its time and fails with video-timed-out', async () => {
    const startedAt = Date.now();
    const endless = ['-hide_banner', '-nostdin', '-f', 'lavfi', '-i', 'testsrc=r=5', '-f', 'null', '-'];
    await expect(runFfmpeg(ffmpegBinary(), endless, { timeoutMs: 300, maxStdoutBytes: 0 })).rejects.toMatchObject({
      code: 'video-timed-out',
    });
    expect(Date.now() - startedAt).toBeLessThan(5_000);
  });

  it('kills ffmpeg when it writes more than a frame may take', async () => {
    const frames = ['-hide_banner', '-nostdin', '-f', 'lavfi', '-i', 'testsrc=s=320x240', '-f', 'rawvideo', '-'];
    await expect(
      runFfmpeg(ffmpegBinary(), frames, { timeoutMs: 10_000, maxStdoutBytes: 100_000 }),
    ).rejects.toMatchObject({ code: 'video-resolution-too-high' });
  });

  it('keeps the presigned URL, whose signature grants reading the object, out of reasons', () => {
    const url = 'https://b.s3.amazonaws.com/k.mp4?X-Amz-Signature=abc';
    expect(withoutUrl(`${url}: Invalid data found when processing input\n`, url)).toBe(
      '<presigned URL>: Invalid data found when processing input\n',
    );
  });
});
