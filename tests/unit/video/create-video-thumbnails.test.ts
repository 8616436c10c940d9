import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { renderThumbnails } from '../../../src/images/render';
import type { ImageStore, StoredThumbnail } from '../../../src/thumbnail/image-store';
import { parseBoundingBoxes } from '../../../src/thumbnail/sizes';
import type { ThumbnailSettings } from '../../../src/thumbnail/settings';
import { createVideoThumbnails } from '../../../src/video/create-video-thumbnails';
import { createFfmpeg } from '../../../src/video/ffmpeg';
import type { VideoSettings } from '../../../src/video/settings';
import type { VideoSource } from '../../../src/video/video-source';
import { ffmpegBinary, makeAudioOnly, makeVideo } from '../../support/sample-videos';

jest.setTimeout(60_000);

const settings: ThumbnailSettings = {
  thumbnailsBucket: 'thumbnails',
  sizes: parseBoundingBoxes('75x75,1280x720'),
  outputFormat: 'auto',
  quality: 80,
  maxImageBytes: 50 * 2 ** 20,
  maxImagePixels: 50_000_000,
  maxDecodeBytes: 512 * 2 ** 20,
};
const video = (overrides: Partial<VideoSettings> = {}): VideoSettings => ({
  limits: { maxDurationSeconds: 60, maxFramePixels: 1920 * 1080 },
  frameCount: 4,
  frameBox: parseBoundingBoxes('200x200')[0]!,
  tileBox: parseBoundingBoxes('40x40')[0]!,
  ffmpegPath: undefined,
  headroomMs: 0,
  ...overrides,
});

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'video-test-'));
});
afterAll(() => rm(directory, { recursive: true, force: true }));

/** ffmpeg reads a local file as it reads a presigned URL; the store keeps what is written. */
async function run(bytes: Buffer, videoSettings = video(), timeLeftMs = () => 30_000, key = 'clips/a.mp4') {
  const path = join(directory, `${Math.random().toString(36).slice(2)}.bin`);
  await writeFile(path, bytes);
  const written = new Map<string, StoredThumbnail>();
  const store: ImageStore = {
    read: () => Promise.reject(new Error('the video pipeline reads through ffmpeg')),
    write: async (object) => {
      written.set(object.key, object);
    },
  };
  const source: VideoSource = { locate: async () => ({ url: path, bytes: bytes.length }) };
  const outputs = await createVideoThumbnails(
    { bucket: 'uploads', key, size: bytes.length, eTag: undefined },
    { source, ffmpeg: createFfmpeg(ffmpegBinary), store, render: renderThumbnails, timeLeftMs },
    settings,
    videoSettings,
  );
  return { outputs, written };
}

async function sizeOf(body: Buffer) {
  const { width, height } = await sharp(body).metadata();
  return { width, height };
}

async function meanLuma(body: Buffer): Promise<number> {
  const { channels } = await sharp(body).greyscale().stats();
  return channels[0]!.mean;
}

describe('a video through ffmpeg and the render step', () => {
  it('writes the poster at every size, one frame per planned time, the storyboard sprite and its WebVTT', async () => {
    const { outputs, written } = await run(await makeVideo({ width: 320, height: 240, seconds: 2 }));
    expect(outputs.info).toMatchObject({ width: 320, height: 240, codec: 'h264', rotation: 0 });
    expect(outputs.info.durationSeconds).toBeCloseTo(2, 1);
    expect([...written.keys()].sort()).toEqual([
      'clips/a.mp4/1280x720.jpg',
      'clips/a.mp4/75x75.jpg',
      'clips/a.mp4/frames/0.jpg',
      'clips/a.mp4/frames/1.jpg',
      'clips/a.mp4/frames/2.jpg',
      'clips/a.mp4/frames/3.jpg',
      'clips/a.mp4/storyboard.jpg',
      'clips/a.mp4/storyboard.vtt',
    ]);
    // Never upscaled: 320x240 fits in 1280x720 as it is.
    expect(await sizeOf(written.get('clips/a.mp4/1280x720.jpg')!.body)).toEqual({ width: 320, height: 240 });
    expect(await sizeOf(written.get('clips/a.mp4/75x75.jpg')!.body)).toEqual({ width: 75, height: 56 });
    expect(await sizeOf(written.get('clips/a.mp4/frames/2.jpg')!.body)).toEqual({ width: 200, height: 150 });
    // 4 tiles of 40x30 in a 2x2 grid.
    expect(await sizeOf(written.get('clips/a.mp4/storyboard.jpg')!.body)).toEqual({ width: 80, height: 60 });
    const vtt = written.get('clips/a.mp4/storyboard.vtt')!;
    expect(vtt.contentType).toBe('text/vtt; charset=utf-8');
    expect(vtt.body.toString('utf8')).toBe(
      [
        'WEBVTT',
        '',
        '00:00:00.000 --> 00:00:00.500\nstoryboard.jpg#xywh=0,0,40,30\n',
        '00:00:00.500 --> 00:00:01.000\nstoryboard.jpg#xywh=40,0,40,30\n',
        '00:00:01.000 --> 00:00:01.500\nstoryboard.jpg#xywh=0,30,40,30\n',
        '00:00:01.500 --> 00:00:02.000\nstoryboard.jpg#xywh=40,30,40,30\n',
      ].join('\n'),
    );
    expect(written.get('clips/a.mp4/75x75.jpg')!.metadata).toEqual({
      'source-bucket': 'uploads',
      'source-key': 'clips%2Fa.mp4',
      'video-duration-seconds': '2.000',
      'video-resolution': '320x240',
      'video-codec': 'h264',
    });
  });

  it('takes the frames at different times: testsrc moves, so no two frames are the same', async () => {
    const { written } = await run(await makeVideo({ width: 160, height: 120, seconds: 2 }));
    const frames = ['0', '1', '2', '3'].map((index) => written.get(`clips/a.mp4/frames/${index}.jpg`)!.body);
    expect(new Set(frames.map((body) => body.toString('base64'))).size).toBe(4);
  });

  it('has a frame for every tile up to the end, however the last interval falls between frames', async () => {
    const { written } = await run(await makeVideo({ width: 64, height: 48, seconds: 2 }), video({ frameCount: 16 }));
    const frames = [...written.keys()].filter((key) => key.includes('/frames/'));
    expect(frames).toHaveLength(16);
    expect(frames).toContain('clips/a.mp4/frames/15.jpg');
  });

  it('passes over a black opening: the poster is the first frame that shows a picture', async () => {
    const { outputs, written } = await run(await makeVideo({ width: 160, height: 120, seconds: 2, blackSeconds: 1 }));
    // Frames at 0.375, 1.125, 1.875 and 2.625 s: the first is still black.
    expect(await meanLuma(written.get('clips/a.mp4/frames/0.jpg')!.body)).toBeLessThan(5);
    expect(outputs.posterAtMs).toBe(1125);
    expect(await meanLuma(written.get('clips/a.mp4/1280x720.jpg')!.body)).toBeGreaterThan(40);
  });

  it('applies the display rotation: a portrait phone video gives portrait posters, frames and tiles', async () => {
    const { outputs, written } = await run(await makeVideo({ width: 160, height: 120, seconds: 1, rotation: 90 }));
    expect(outputs.info).toMatchObject({ width: 160, height: 120 });
    // ffmpeg 4.1's MP4 muxer stores a rotate=90 tag as the opposite quarter turn; either way the video is sideways.
    expect([90, 270]).toContain(outputs.info.rotation);
    expect(await sizeOf(written.get('clips/a.mp4/1280x720.jpg')!.body)).toEqual({ width: 120, height: 160 });
    expect(await sizeOf(written.get('clips/a.mp4/frames/0.jpg')!.body)).toEqual({ width: 120, height: 160 });
    expect(written.get('clips/a.mp4/storyboard.vtt')!.body.toString()).toContain('#xywh=0,0,30,40');
    expect(written.get('clips/a.mp4/75x75.jpg')!.metadata['video-resolution']).toBe('120x160');
  });

  it.each([
    ['HEVC in MP4', 'mp4', 'hevc'],
    ['VP9 in WebM', 'webm', 'vp9'],
    ['AV1 in MP4', 'mp4', 'av1'],
  ] as const)('reads %s as well', async (_name, container, codec) => {
    const { outputs, written } = await run(await makeVideo({ width: 64, height: 48, seconds: 1, container, codec }));
    expect(outputs.info.codec).toBe(codec);
    expect(await sizeOf(written.get('clips/a.mp4/75x75.jpg')!.body)).toEqual({ width: 64, height: 48 });
    expect(written.size).toBe(2 + 4 + 2);
  });

  it('reads WebM (VP8) as well', async () => {
    const { outputs, written } = await run(await makeVideo({ width: 160, height: 120, seconds: 1, container: 'webm' }));
    expect(outputs.info.codec).toBe('vp8');
    expect(await sizeOf(written.get('clips/a.mp4/75x75.jpg')!.body)).toEqual({ width: 75, height: 56 });
  });
});

describe('a video that cannot be made into thumbnails', () => {
  it('is corrupt-video when it is cut short and has lost its index, with ffmpeg’s reason', async () => {
    const whole = await makeVideo({ width: 160, height: 120, seconds: 2, indexAtEnd: true });
    await expect(run(whole.subarray(0, Math.floor(whole.length / 2)))).rejects.toMatchObject({
      code: 'corrupt-video',
      message: expect.stringMatching(/^the video cannot be read: <presigned URL>: Invalid data found/),
    });
  });

  it('is corrupt-video when its frames are cut off after the index', async () => {
    const whole = await makeVideo({ width: 160, height: 120, seconds: 2 });
    await expect(run(whole.subarray(0, 1200))).rejects.toMatchObject({ code: 'corrupt-video' });
  });

  it('is no-video-stream when it has only audio', async () => {
    await expect(run(await makeAudioOnly())).rejects.toMatchObject({
      code: 'no-video-stream',
      message: 'the file has audio but no video stream',
    });
  });

  it('is refused by its duration and its resolution before any frame is decoded', async () => {
    const clip = await makeVideo({ width: 320, height: 240, seconds: 2 });
    const tooLong = video({ limits: { maxDurationSeconds: 1, maxFramePixels: 1920 * 1080 } });
    await expect(run(clip, tooLong)).rejects.toMatchObject({ code: 'video-too-long' });
    const tooLarge = video({ limits: { maxDurationSeconds: 60, maxFramePixels: 320 * 240 - 1 } });
    const refused = run(clip, tooLarge);
    await expect(refused).rejects.toMatchObject({ code: 'video-resolution-too-high' });
    await expect(refused).rejects.toThrow('320x240 (76,800 pixels), over the limit of 76,799');
  });

  it('is key-too-long, before ffmpeg reads anything, when a frame key would exceed S3’s limit', async () => {
    // 1010 bytes: the poster keys fit (…/1280x720.avif: 1024 bytes), the 16th frame's (…/frames/15.avif) would not.
    const key = `${'k'.repeat(1004)}/a.mp4`;
    const refused = run(Buffer.from('never read'), video({ frameCount: 16 }), () => 30_000, key);
    await expect(refused).rejects.toMatchObject({ code: 'key-too-long' });
  });

  it('is video-timed-out when ffmpeg is given no time, and nothing is written', async () => {
    const clip = await makeVideo({ width: 160, height: 120, seconds: 1 });
    await expect(run(clip, video(), () => 0)).rejects.toMatchObject({ code: 'video-timed-out' });
  });
});
