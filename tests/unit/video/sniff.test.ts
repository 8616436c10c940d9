import { isVideo, sniffVideoContainer } from '../../../src/video/sniff';
import { makeAudioOnly, makeVideo } from '../../support/sample-videos';
import { fixtures } from '../../support/fixtures';

function box(type: string, brand = ''): Buffer {
  const body = Buffer.from(`${type}${brand}\0\0\0\0`, 'latin1');
  const size = Buffer.alloc(4);
  size.writeUInt32BE(body.length + 4);
  return Buffer.concat([size, body, Buffer.alloc(16)]);
}

describe('recognising videos by content', () => {
  it('recognises MP4 and WebM as ffmpeg writes them, and audio-only MP4 (which ffmpeg then refuses)', async () => {
    expect(sniffVideoContainer(await makeVideo({ width: 64, height: 48, seconds: 1 }))).toBe('iso-bmff');
    expect(sniffVideoContainer(await makeVideo({ width: 64, height: 48, seconds: 1, container: 'webm' }))).toBe(
      'matroska',
    );
    expect(isVideo(await makeAudioOnly())).toBe(true);
  });

  it.each(['isom', 'mp42', 'qt  ', 'M4V ', '3gp5'])('recognises an ftyp box of brand %j', (brand) => {
    expect(isVideo(box('ftyp', brand))).toBe(true);
  });

  it('recognises QuickTime files that start without an ftyp box', () => {
    expect(isVideo(box('moov'))).toBe(true);
    expect(isVideo(box('wide'))).toBe(true);
  });

  it.each(['avif', 'heic', 'mif1', 'msf1'])('leaves HEIF images (brand %j) to the image pipeline', (brand) => {
    expect(isVideo(box('ftyp', brand))).toBe(false);
  });

  it('does not take images, text or too few bytes for a video', async () => {
    expect(isVideo(await fixtures.jpeg())).toBe(false);
    expect(isVideo(await fixtures.png())).toBe(false);
    expect(isVideo(Buffer.from('hello, this is not a video at all'))).toBe(false);
    expect(isVideo(Buffer.from([0x1a, 0x45]))).toBe(false);
    expect(isVideo(Buffer.alloc(0))).toBe(false);
  });
});
