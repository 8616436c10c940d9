import sharp from 'sharp';
import { encodeJpegWithLibjpegTurbo } from '../../../../src/images/codecs/libjpeg-turbo-encoder';
import { encodeThumbnail } from '../../../../src/images/encode';
import { meanAbsoluteDifference, referenceRgba } from '../../../support/rgba-diff';

/** A smooth photo-like RGBA image with some detail: gradients and a ripple. */
function photoLike(width: number, height: number) {
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      data[i] = (x * 255) / width;
      data[i + 1] = (y * 255) / height;
      data[i + 2] = 128 + 100 * Math.sin((x + y) / 9);
      data[i + 3] = 255;
    }
  }
  return { data, width, height };
}

/** The start-of-frame marker: C0 baseline, C2 progressive. */
const frameMarker = (jpeg: Buffer) =>
  jpeg.findIndex((byte, i) => byte === 0xff && (jpeg[i + 1]! & 0xf0) === 0xc0 && jpeg[i + 1] !== 0xc4);

describe('encodeJpegWithLibjpegTurbo', () => {
  it('writes a baseline 4:2:0 JPEG of the exact size that libvips reads back close to the pixels', async () => {
    const source = photoLike(320, 240);
    const jpeg = (await encodeJpegWithLibjpegTurbo(source, 90))!;
    expect(await sharp(jpeg).metadata()).toMatchObject({
      format: 'jpeg',
      width: 320,
      height: 240,
      chromaSubsampling: '4:2:0',
    });
    expect(jpeg[frameMarker(jpeg) + 1]).toBe(0xc0);
    expect(meanAbsoluteDifference(await referenceRgba(jpeg), source)).toBeLessThan(2);
  });

  it('follows the quality setting', async () => {
    const source = photoLike(320, 240);
    const low = (await encodeJpegWithLibjpegTurbo(source, 20))!;
    const high = (await encodeJpegWithLibjpegTurbo(source, 95))!;
    expect(low.length).toBeLessThan(high.length);
    expect(meanAbsoluteDifference(await referenceRgba(high), source)).toBeLessThan(
      meanAbsoluteDifference(await referenceRgba(low), source),
    );
  });

  it('leaves small thumbnails to MozJPEG: none below 256x256 pixels, or thinner than 16', async () => {
    expect(await encodeJpegWithLibjpegTurbo(photoLike(250, 250), 80)).toBeUndefined();
    expect(await encodeJpegWithLibjpegTurbo(photoLike(8000, 15), 80)).toBeUndefined();
    const small = await encodeThumbnail(photoLike(100, 75), 'jpeg', 80);
    expect(await sharp(small).metadata()).toMatchObject({ format: 'jpeg', width: 100, height: 75 });
  });

  it('keeps working after many images of different sizes (one encoder, reused)', async () => {
    for (const [width, height] of [
      [256, 256],
      [1280, 720],
      [300, 1000],
    ] as const) {
      const jpeg = (await encodeJpegWithLibjpegTurbo(photoLike(width, height), 80))!;
      expect(await sharp(jpeg).metadata()).toMatchObject({ width, height });
    }
  });
});
