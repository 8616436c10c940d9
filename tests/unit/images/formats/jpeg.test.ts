import sharp from 'sharp';
import { ImageTooLargeError, UnreadableImageError } from '../../../../src/errors';
import { jpegFormat, scaleDenominator } from '../../../../src/images/formats/jpeg';
import { MAX_JPEG_SCANS, readJpegStructure } from '../../../../src/images/formats/jpeg-structure';
import { scanFloodJpeg } from '../../../support/hostile-images';
import { photoLikePixels, withExifOrientation } from '../../../support/sample-images';

const budget = { maxPixels: 50_000_000, maxBytes: 600 * 2 ** 20 };

function photo(width = 320, height = 240) {
  return sharp(photoLikePixels(width, height, 3), { raw: { width, height, channels: 4 } });
}

describe('readJpegStructure', () => {
  it('reads size, precision, components and chroma subsampling from the frame header', async () => {
    const yuv420 = readJpegStructure(await photo(320, 240).jpeg({ chromaSubsampling: '4:2:0' }).toBuffer());
    const yuv444 = readJpegStructure(await photo(320, 240).jpeg({ chromaSubsampling: '4:4:4' }).toBuffer());
    const grey = readJpegStructure(await photo(320, 240).toColourspace('b-w').jpeg().toBuffer());

    expect(yuv420).toMatchObject({ width: 320, height: 240, precision: 8, components: 3, progressive: false });
    expect(yuv420.samplesPerPixel).toBe(1.5);
    expect(yuv444.samplesPerPixel).toBe(3);
    expect(grey).toMatchObject({ components: 1, samplesPerPixel: 1 });
  });

  it('counts the scans of a progressive JPEG', async () => {
    const progressive = readJpegStructure(await photo().jpeg({ progressive: true }).toBuffer());
    const baseline = readJpegStructure(await photo().jpeg().toBuffer());

    expect(progressive.progressive).toBe(true);
    expect(progressive.scans).toBeGreaterThan(1);
    expect(progressive.scans).toBeLessThan(MAX_JPEG_SCANS);
    expect(baseline.scans).toBe(1);
  });

  it('reads the EXIF orientation', async () => {
    expect(readJpegStructure(withExifOrientation(await photo().jpeg().toBuffer(), 6)).orientation).toBe(6);
    expect(readJpegStructure(await photo().jpeg().toBuffer()).orientation).toBe(1);
  });

  it('reassembles the embedded ICC profile', async () => {
    const { iccProfile } = readJpegStructure(await photo().withIccProfile('p3').jpeg().toBuffer());

    expect(iccProfile).toBeDefined();
    // An ICC profile starts with its own length and has "acsp" at byte 36.
    expect(Buffer.from(iccProfile!).readUInt32BE(0)).toBe(iccProfile!.length);
    expect(Buffer.from(iccProfile!).toString('latin1', 36, 40)).toBe('acsp');
  });

  it('reads the Adobe transform flag of a CMYK JPEG', async () => {
    const cmyk = readJpegStructure(await photo().toColourspace('cmyk').jpeg().toBuffer());
    expect(cmyk.components).toBe(4);
    expect(cmyk.adobeTransform).toBeDefined();
  });

  it('refuses a scan-flooded progressive JPEG in milliseconds, before any decoding', async () => {
    const flood = await scanFloodJpeg(5_000);
    const started = performance.now();
    expect(() => readJpegStructure(flood)).toThrow(
      expect.objectContaining({ name: 'ImageTooLargeError', code: 'too-many-scans' }) as unknown as Error,
    );
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('accepts a progressive JPEG with a few repeated scans (within the limit)', async () => {
    const few = await scanFloodJpeg(3);
    expect(readJpegStructure(few).scans).toBeLessThanOrEqual(MAX_JPEG_SCANS);
  });

  it.each([
    ['no start-of-image marker', Buffer.from('not a jpeg at all')],
    ['a segment running past the end', Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x40, 0x00, 0x01])],
    ['no frame header', Buffer.from([0xff, 0xd8, 0xff, 0xd9])],
  ])('calls a file with %s corrupt', (_label, bytes) => {
    expect(() => readJpegStructure(bytes)).toThrow(UnreadableImageError);
  });
});

describe('jpegFormat', () => {
  it('is recognised by its signature', async () => {
    expect(jpegFormat.sniff(await photo().jpeg().toBuffer())).toBe(true);
    expect(jpegFormat.sniff(await photo().png().toBuffer())).toBe(false);
  });

  it('declares more working memory for a progressive file (coefficient planes)', async () => {
    const baseline = jpegFormat.inspect(await photo().jpeg().toBuffer(), budget);
    const progressive = jpegFormat.inspect(await photo().jpeg({ progressive: true }).toBuffer(), budget);
    expect(progressive.workingBytes! - baseline.workingBytes!).toBeGreaterThanOrEqual(320 * 240 * 1.5 * 2 - 4096);
  });

  it('decodes to RGBA matching libvips, and leaves the EXIF orientation to the render step', async () => {
    const source = withExifOrientation(await photo().jpeg({ quality: 95 }).toBuffer(), 8);
    const decoded = await jpegFormat.decode(source, jpegFormat.inspect(source, budget));
    const reference = await sharp(source).ensureAlpha().raw().toBuffer(); // sharp does not rotate unless asked

    expect(decoded).toMatchObject({ orientation: 8, hasAlpha: false });
    expect([decoded.bitmap.width, decoded.bitmap.height]).toEqual([320, 240]);
    let difference = 0;
    for (let i = 0; i < reference.length; i++) difference += Math.abs(reference[i]! - decoded.bitmap.data[i]!);
    expect(difference / reference.length).toBeLessThan(2);
  });

  it('passes the embedded ICC profile on for colour conversion', async () => {
    const source = await photo().withIccProfile('p3').jpeg().toBuffer();
    const decoded = await jpegFormat.decode(source, jpegFormat.inspect(source, budget));
    expect(decoded.iccProfile?.length).toBeGreaterThan(100);
  });

  it('calls a truncated JPEG corrupt', async () => {
    const truncated = (await photo().jpeg().toBuffer()).subarray(0, 3000);
    await expect(jpegFormat.decode(truncated, jpegFormat.inspect(truncated, budget))).rejects.toMatchObject({
      name: 'UnreadableImageError',
      code: 'corrupt-image',
    });
  });

  it('throws ImageTooLargeError, a permanent failure, for the scan flood', async () => {
    const flood = await scanFloodJpeg(MAX_JPEG_SCANS + 1);
    expect(() => jpegFormat.inspect(flood, budget)).toThrow(ImageTooLargeError);
  });
});

describe('decoding reduced (DCT scaling, "shrink-on-load")', () => {
  it('picks the largest of 1/8, 1/4 and 1/2 that leaves at least the size asked for, sides rounded up', () => {
    const photo12mp = { width: 4240, height: 2832 };
    expect(scaleDenominator(photo12mp, { width: 1078, height: 720 })).toBe(2);
    expect(scaleDenominator(photo12mp, { width: 530, height: 354 })).toBe(8);
    expect(scaleDenominator(photo12mp, { width: 531, height: 354 })).toBe(4);
    expect(scaleDenominator({ width: 1224, height: 816 }, { width: 1080, height: 720 })).toBe(1);
    expect(scaleDenominator({ width: 1001, height: 9 }, { width: 126, height: 2 })).toBe(8);
    expect(scaleDenominator(photo12mp, undefined)).toBe(1);
  });

  it.each([
    [{ width: 40, height: 30 }, [40, 30]],
    [{ width: 41, height: 30 }, [80, 60]],
    [{ width: 100, height: 61 }, [160, 120]],
  ])('decodes a 320x240 JPEG asked for at least %j at %j, telling its full size', async (atLeast, [width, height]) => {
    const source = await photo().jpeg({ quality: 95 }).toBuffer();
    const decoded = await jpegFormat.decode(source, jpegFormat.inspect(source, budget), { atLeast });
    expect([decoded.bitmap.width, decoded.bitmap.height]).toEqual([width, height]);
    expect(decoded.fullSize).toEqual({ width: 320, height: 240 });
    // Close to libvips' area average of the full image to the same size.
    const reference = await photo()
      .jpeg({ quality: 95 })
      .toBuffer()
      .then((jpeg) =>
        sharp(jpeg).resize(width, height, { fit: 'fill', kernel: 'cubic' }).ensureAlpha().raw().toBuffer(),
      );
    let difference = 0;
    for (let i = 0; i < reference.length; i++) difference += Math.abs(reference[i]! - decoded.bitmap.data[i]!);
    expect(difference / reference.length).toBeLessThan(3);
  });

  it('decodes full size, without fullSize, when no reduction leaves enough', async () => {
    const source = await photo().jpeg().toBuffer();
    const decoded = await jpegFormat.decode(source, jpegFormat.inspect(source, budget), {
      atLeast: { width: 161, height: 10 },
    });
    expect([decoded.bitmap.width, decoded.bitmap.height, decoded.fullSize]).toEqual([320, 240, undefined]);
  });

  it('calls a truncated JPEG corrupt when decoding it reduced too', async () => {
    const truncated = (await photo().jpeg().toBuffer()).subarray(0, 3000);
    const declared = jpegFormat.inspect(truncated, budget);
    await expect(jpegFormat.decode(truncated, declared, { atLeast: { width: 40, height: 30 } })).rejects.toMatchObject({
      name: 'UnreadableImageError',
      code: 'corrupt-image',
    });
  });
});
