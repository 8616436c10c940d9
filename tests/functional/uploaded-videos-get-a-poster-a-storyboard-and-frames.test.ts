import sharp from 'sharp';
import { fitInside } from '../../src/thumbnail/sizes';
import { vttTimestamp } from '../../src/video/plan';
import { eventually } from '../support/eventually';
import { makeAudioOnly, makeVideo } from '../support/sample-videos';
import { download, listKeys, upload, type Stack } from '../support/stack';
import { takeDeadLetters } from './support/dead-letters';
import { useThumbnailEventCapture } from './support/event-capture';
import { functionLogLines } from './support/logs';
import { useTestPrefix } from './support/test-prefix';

jest.setTimeout(240_000);

/** The deployed video function's defaults (serverless.yml params). */
const FRAME_COUNT = 16;
const FRAME_BOX = { width: 1280, height: 720 };
const TILE_BOX = { width: 160, height: 90 };

async function sizeOf(body: Buffer) {
  const { width, height } = await sharp(body).metadata();
  return { width, height };
}

async function meanLuma(body: Buffer): Promise<number> {
  return (await sharp(body).greyscale().stats()).channels[0]!.mean;
}

describe('uploading videos to the images bucket', () => {
  const scope = useTestPrefix('videos');
  const { prefix } = scope;
  let stack: Stack;
  beforeAll(() => {
    stack = scope.stack;
  });
  const { eventsFor } = useThumbnailEventCapture(prefix);
  const eventFor = async (key: string, detailType: string) => (await eventsFor(key, detailType))[0]!;

  it('gives an MP4, a video opening on black, a portrait phone video and a WebM a poster at every size, a storyboard and their frames', async () => {
    const videos = [
      // Upper-case extension, which a suffix filter would miss: recognised by content. Its index (moov) is
      // at the end, as many cameras write it: ffmpeg reads it there by a range request.
      {
        key: `${prefix}/clip.MP4`,
        body: await makeVideo({ width: 320, height: 240, seconds: 2, indexAtEnd: true }),
        shown: [320, 240],
        seconds: 2,
      },
      {
        key: `${prefix}/fade in.mp4`,
        body: await makeVideo({ width: 320, height: 240, seconds: 2, blackSeconds: 1 }),
        shown: [320, 240],
        seconds: 3,
      },
      {
        key: `${prefix}/phone.mov`,
        body: await makeVideo({ width: 320, height: 240, seconds: 2, rotation: 90 }),
        shown: [240, 320],
        seconds: 2,
      },
      {
        key: `${prefix}/clip.webm`,
        body: await makeVideo({ width: 320, height: 240, seconds: 2, container: 'webm' }),
        shown: [320, 240],
        seconds: 2,
      },
    ];
    await Promise.all(videos.map(({ key, body }) => upload(stack.imagesBucket, key, body)));

    for (const video of videos) {
      const [width, height] = video.shown as [number, number];
      const frameKeys = Array.from(
        { length: FRAME_COUNT },
        (_, i) => `${video.key}/frames/${String(i).padStart(2, '0')}.jpg`,
      );
      const expected = [
        ...stack.sizes.map((box) => `${video.key}/${box.label}.jpg`),
        `${video.key}/storyboard.jpg`,
        `${video.key}/storyboard.vtt`,
        ...frameKeys,
      ].sort();
      const keys = await eventually(
        `the poster, storyboard and frames of ${video.key}`,
        async () => {
          const found = await listKeys(stack.thumbnailsBucket, `${video.key}/`);
          return found.length >= expected.length ? found : undefined;
        },
        { timeoutMs: 90_000 },
      );
      expect(keys).toEqual(expected);

      for (const box of stack.sizes) {
        const poster = await download(stack.thumbnailsBucket, `${video.key}/${box.label}.jpg`);
        expect(poster.contentType).toBe('image/jpeg');
        expect({ key: video.key, box: box.label, ...(await sizeOf(poster.body)) }).toEqual({
          key: video.key,
          box: box.label,
          ...fitInside({ width, height }, box),
        });
        // Not the black opening: the first frame that shows the picture.
        expect(await meanLuma(poster.body)).toBeGreaterThan(40);
      }
      const frame = await download(stack.thumbnailsBucket, frameKeys[FRAME_COUNT - 1]!);
      expect(await sizeOf(frame.body)).toEqual(fitInside({ width, height }, { ...FRAME_BOX, label: '' }));

      const tile = fitInside({ width, height }, { ...TILE_BOX, label: '' });
      const sprite = await download(stack.thumbnailsBucket, `${video.key}/storyboard.jpg`);
      expect(await sizeOf(sprite.body)).toEqual({ width: 4 * tile.width, height: 4 * tile.height });
      const vtt = await download(stack.thumbnailsBucket, `${video.key}/storyboard.vtt`);
      expect(vtt.contentType).toMatch(/^text\/vtt/);
      const cues = vtt.body.toString('utf8').split('\n\n').slice(1);
      expect(cues).toHaveLength(FRAME_COUNT);
      expect(cues[0]).toBe(
        `00:00:00.000 --> ${vttTimestamp((video.seconds * 1000) / FRAME_COUNT)}\nstoryboard.jpg#xywh=0,0,${tile.width},${tile.height}`,
      );
      expect(cues[5]!.split('\n')[1]).toBe(
        `storyboard.jpg#xywh=${tile.width},${tile.height},${tile.width},${tile.height}`,
      );
    }

    const success = await eventually('the log line of the phone video', async () => {
      const lines = await functionLogLines('video', `${prefix}/phone.mov`);
      return lines.find((line) => line.outcome === 'success');
    });
    expect(success).toMatchObject({ codec: 'h264', resolution: '240x320', durationSeconds: 2 });
    const created = await eventFor(`${prefix}/phone.mov`, 'Thumbnails Created');
    expect((created.detail.thumbnails as { key: string }[]).map(({ key }) => key).sort()).toEqual(
      [
        ...stack.sizes.map((box) => `${prefix}/phone.mov/${box.label}.jpg`),
        `${prefix}/phone.mov/storyboard.jpg`,
      ].sort(),
    );
  });

  it('dead-letters a truncated MP4, an audio-only file and an empty one, each with its reason', async () => {
    const whole = await makeVideo({ width: 320, height: 240, seconds: 2, indexAtEnd: true });
    const bad = {
      truncated: `${prefix}/bad/truncated.mp4`,
      audio: `${prefix}/bad/song.m4a`,
      empty: `${prefix}/bad/empty.mp4`,
    };
    await upload(stack.imagesBucket, bad.truncated, whole.subarray(0, Math.floor(whole.length / 2)));
    await upload(stack.imagesBucket, bad.audio, await makeAudioOnly());
    await upload(stack.imagesBucket, bad.empty, Buffer.alloc(0));

    const { letters, missing } = await takeDeadLetters(stack, `${prefix}/bad/`, {
      expectKeys: Object.values(bad),
      timeoutMs: 120_000,
    });
    expect(missing).toEqual([]);
    const byKey = Object.fromEntries(letters.map((letter) => [letter.keys[0], letter.attributes]));
    expect(byKey).toEqual({
      [bad.truncated]: expect.objectContaining({
        'failure-code': 'corrupt-video',
        'failure-reason':
          'UnreadableVideoError: the video cannot be read: <presigned URL>: Invalid data found when processing input',
      }),
      [bad.audio]: expect.objectContaining({
        'failure-code': 'no-video-stream',
        'failure-reason': 'UnreadableVideoError: the file has audio but no video stream',
      }),
      [bad.empty]: expect.objectContaining({ 'failure-code': 'empty-object' }),
    });
    for (const key of Object.values(bad)) expect(await listKeys(stack.thumbnailsBucket, `${key}/`)).toEqual([]);
    expect((await eventFor(bad.truncated, 'Thumbnails Failed')).detail).toMatchObject({ failureCode: 'corrupt-video' });
    expect((await eventFor(bad.audio, 'Thumbnails Failed')).detail).toMatchObject({ failureCode: 'no-video-stream' });
  });
});
