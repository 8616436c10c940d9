import { checkVideoLimits, displayedDimensions, parseProbeOutput } from '../../../src/video/probe';

const header = `Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'https://bucket.s3.amazonaws.com/clip.mov?X-Amz-Signature=1':
  Metadata:
    major_brand     : qt
    creation_time   : 2024-05-01T10:00:00.000000Z
  Duration: 00:01:02.50, start: 0.000000, bitrate: 8123 kb/s
`;
/** What ffmpeg prints for a video recorded on a phone held upright. */
const phone = `${header}    Stream #0:0(und): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz, stereo, fltp, 128 kb/s (default)
    Stream #0:1(und): Video: hevc (Main) (hvc1 / 0x31637668), yuv420p(tv, bt709), 1920x1080, 8000 kb/s, 29.97 fps (default)
    Metadata:
      rotate          : 90
      handler_name    : Core Media Video
    Side data:
      displaymatrix: rotation of -90.00 degrees
At least one output file must be specified
`;

describe('what ffmpeg reads of a video', () => {
  it('reads duration, stored size, codec, container and the rotation tag of the first video stream', () => {
    const info = parseProbeOutput(phone);
    expect(info).toEqual({
      durationSeconds: 62.5,
      width: 1920,
      height: 1080,
      rotation: 90,
      codec: 'hevc',
      container: 'mov,mp4,m4a,3gp,3g2,mj2',
      framesPerSecond: 29.97,
    });
    expect(displayedDimensions(info)).toEqual({ width: 1080, height: 1920 });
  });

  it('reads the rotation from the display matrix (counter-clockwise) when there is no tag', () => {
    const matrixOnly = phone.replace(/\s*rotate\s*: 90/, '').replace('-90.00', '90.00');
    expect(parseProbeOutput(matrixOnly).rotation).toBe(270);
    expect(parseProbeOutput(phone.replace(/rotate\s*: 90/, 'rotate          : -180')).rotation).toBe(180);
  });

  it('has no rotation, and keeps its size, when nothing says so', () => {
    const webm = `Input #0, matroska,webm, from 'in.webm':
  Duration: 00:00:02.00, start: 0.000000, bitrate: 59 kb/s
    Stream #0:0: Video: vp9 (Profile 0), yuv420p(tv), 640x360, SAR 1:1 DAR 16:9, 30 fps (default)
`;
    const info = parseProbeOutput(webm);
    expect(info).toMatchObject({ codec: 'vp9', width: 640, height: 360, rotation: 0, container: 'matroska,webm' });
    expect(displayedDimensions(info)).toEqual({ width: 640, height: 360 });
  });

  it('refuses an input ffmpeg cannot read, with ffmpeg’s own reason', () => {
    const truncated = `[mov,mp4,m4a,3gp,3g2,mj2 @ 0x5c] moov atom not found
https://bucket/clip.mp4?sig: Invalid data found when processing input
`;
    expect(() => parseProbeOutput(truncated)).toThrow(
      expect.objectContaining({ code: 'corrupt-video', message: expect.stringContaining('Invalid data found') }),
    );
  });

  it('refuses a file with audio and no video stream', () => {
    const audio = `Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'a.m4a':
  Duration: 00:00:01.02, start: 0.000000, bitrate: 77 kb/s
    Stream #0:0(und): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz, mono, fltp, 69 kb/s (default)
`;
    expect(() => parseProbeOutput(audio)).toThrow(expect.objectContaining({ code: 'no-video-stream' }));
  });

  it('refuses a video whose duration is not known', () => {
    expect(() => parseProbeOutput(phone.replace('00:01:02.50', 'N/A'))).toThrow(
      expect.objectContaining({ code: 'corrupt-video' }),
    );
  });
});

describe('video limits', () => {
  const info = parseProbeOutput(phone);

  it('admit a video at the limits', () => {
    expect(() => checkVideoLimits(info, { maxDurationSeconds: 62.5, maxFramePixels: 1920 * 1080 })).not.toThrow();
  });

  it('refuse a longer video and larger frames, naming the setting', () => {
    expect(() => checkVideoLimits(info, { maxDurationSeconds: 62, maxFramePixels: 1920 * 1080 })).toThrow(
      expect.objectContaining({ code: 'video-too-long', message: expect.stringContaining('MAX_VIDEO_SECONDS') }),
    );
    expect(() => checkVideoLimits(info, { maxDurationSeconds: 100, maxFramePixels: 1920 * 1080 - 1 })).toThrow(
      expect.objectContaining({ code: 'video-resolution-too-high' }),
    );
  });
});
