import sharp from 'sharp';
import type { ImageFormat } from '../../../../src/images/types';
import { heifFile, ispe } from '../../../support/isobmff-builder';

/**
 * The WebP, AVIF and HEIC codecs are WebAssembly modules of 0.1 to 1.4 MB: a JPEG-only workload must
 * not compile them at cold start, and a file refused by its header must not compile them at all.
 */
describe('WebP, AVIF and HEIC codecs load on first decode, not before', () => {
  const compile = jest.spyOn(WebAssembly, 'compile');
  const instantiate = jest.spyOn(WebAssembly, 'instantiate');
  const budget = { maxPixels: 50_000_000, maxBytes: 700 * 2 ** 20 };

  afterAll(() => jest.restoreAllMocks());

  it('importing the modules, sniffing and inspecting compile nothing; decoding compiles one codec', async () => {
    const { webpFormat } = await import('../../../../src/images/formats/webp');
    const { avifFormat } = await import('../../../../src/images/formats/avif');
    const { heicFormat } = await import('../../../../src/images/formats/heic');
    const webp = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } })
      .webp()
      .toBuffer();
    const huge = (major: string, type: string) =>
      heifFile({ major, primary: 1, items: [{ id: 1, type, properties: [ispe(60_000, 60_000)] }] });
    const cases: [ImageFormat, Buffer][] = [
      [webpFormat, webp],
      [avifFormat, huge('avif', 'av01')],
      [heicFormat, huge('heic', 'hvc1')],
    ];
    compile.mockClear();
    instantiate.mockClear();
    for (const [format, bytes] of cases) {
      expect(format.sniff(bytes)).toBe(true);
      format.inspect(bytes, budget);
    }
    expect(compile).not.toHaveBeenCalled();
    expect(instantiate).not.toHaveBeenCalled();

    // The spies are live: the first WebP decode compiles libwebp's decoder, once.
    await webpFormat.decode(webp, webpFormat.inspect(webp, budget));
    await webpFormat.decode(webp, webpFormat.inspect(webp, budget));
    expect(compile).toHaveBeenCalledTimes(1);
  });
});
