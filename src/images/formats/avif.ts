import { compilePackagedWasm } from '../codecs/wasm';
import { UnreadableImageError } from '../../errors';
import type { DeclaredImage, DecodedImage, ImageFormat } from '../types';
import { decodeWithDav1d, planDav1dDecode } from './avif-dav1d';
import { describePrimaryImage } from './isobmff';
import { SIGNATURES } from './signatures';

/**
 * AVIF: still images (8, 10 and 12 bits, alpha, grids) through libavif with libaom's decoder compiled
 * to WebAssembly (@jsquash/avif), which converts any depth to 8-bit RGBA. An 8-bit 4:2:0 image of even
 * size (most photos) goes through dav1d instead, about three times faster, and is converted to RGBA
 * at the size the largest thumbnail needs, halved or more where it allows (avif-dav1d.ts). libavif leaves irot/imir to
 * the application, so the decoded pixels are as stored and DecodedImage.orientation carries the
 * equivalent EXIF orientation for the render step (which rotates after shrinking, where it is cheap).
 * The clean aperture (clap) is not applied: the full coded image is returned. For an image sequence
 * (avis) the still primary image is decoded; a sequence without one is refused.
 */

interface AvifDecoderModule {
  default: (buffer: ArrayBuffer, options?: { bitDepth?: 8 }) => Promise<ImageData>;
  /** The published typings omit init's compiled-module parameter, which Node needs (no fetch of file URLs). */
  init: (module: WebAssembly.Module, options?: Record<string, unknown>) => Promise<void>;
}

/**
 * Quiet, and with locateFile set so the glue does not build the .wasm file's URL from import.meta.url,
 * which a CommonJS bundle does not have (the module passed to init is used instead).
 */
const GLUE_OPTIONS = { print: () => undefined, printErr: () => undefined, locateFile: (file: string) => file };

let decoder: Promise<AvifDecoderModule['default']> | undefined;

/** Loads and instantiates the decoder once per process, on the first AVIF (nothing before). */
function loadDecoder(): Promise<AvifDecoderModule['default']> {
  decoder ??= (async () => {
    const codec = (await import('@jsquash/avif/decode.js')) as unknown as AvifDecoderModule;
    const wasm = await compilePackagedWasm('@jsquash/avif/codec/dec/avif_dec.wasm');
    await codec.init(wasm, GLUE_OPTIONS);
    return codec.default;
  })();
  // A failed load is not cached: the next image tries again.
  decoder.catch(() => (decoder = undefined));
  return decoder;
}

// WebAssembly memory only grows: after a 12 MP AVIF the instance holds about 285 MiB until the process
// ends. Unlike libheif's, this glue's instances are not collected when dropped or replaced (measured:
// external memory stays), so that memory is not given back; the budget must leave room for it.

export const avifFormat: ImageFormat = {
  name: 'avif',

  sniff: SIGNATURES.avif,

  inspect(bytes): DeclaredImage {
    const image = describePrimaryImage(bytes, 'avif');
    if (image.codedType !== 'av01') {
      throw new UnreadableImageError(
        'unsupported-format',
        `the avif primary image is coded as ${image.codedType}, not AV1 (av01)`,
      );
    }
    const sampleBytes = image.bitDepth > 8 ? 2 : 1;
    const channels = image.colourChannels + (image.hasAlpha ? 1 : 0);
    return {
      format: 'avif',
      width: image.width,
      height: image.height,
      bitsPerSample: image.bitDepth,
      channels,
      // The decoder's copy of the file; libaom's frame buffers, which this build keeps at 16 bits per
      // sample whatever the depth (room for three); libavif's copy of the planes at the stored depth
      // (all counted as 4:4:4); the RGBA image libavif converts to inside WebAssembly memory, which is
      // then copied out (the budget counts that copy). A 12 MP 8-bit 4:4:4 file raised peak RSS by
      // 270-295 MiB over the process before it; this estimate, with the copy, is 349 MiB.
      workingBytes:
        bytes.length +
        (image.codedPixels * image.colourChannels + image.alphaPixels) * (3 * 2 + sampleBytes) +
        image.width * image.height * 4,
    };
  },

  async decode(bytes, _declared, options): Promise<DecodedImage> {
    const image = describePrimaryImage(bytes, 'avif');
    const plan = planDav1dDecode(bytes, image, options?.atLeast);
    if (plan) {
      // Anything dav1d refuses (or traps on) is decoded by libavif, which gives the verdict.
      const bitmap = await decodeWithDav1d(plan).catch(() => undefined);
      if (bitmap) {
        return {
          bitmap,
          orientation: image.orientation,
          hasAlpha: false,
          ...(image.iccProfile ? { iccProfile: image.iccProfile } : {}),
          ...(plan.factor > 1 ? { fullSize: { width: image.width, height: image.height } } : {}),
        };
      }
    }
    return decodeWithLibavif(bytes, image);
  },
};

/** The primary image through libavif, whatever it is (exported for tests: the reference of the dav1d path). */
export async function decodeWithLibavif(
  bytes: Buffer,
  image = describePrimaryImage(bytes, 'avif'),
): Promise<DecodedImage> {
  const decode = await loadDecoder();
  const input = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
  let decoded: ImageData;
  try {
    decoded = await decode(input, { bitDepth: 8 });
  } catch (error) {
    throw new UnreadableImageError('corrupt-image', `the avif data cannot be decoded (${(error as Error).message})`);
  }
  const { data, width, height } = decoded;
  if (width !== image.width || height !== image.height) {
    throw new UnreadableImageError(
      'corrupt-image',
      `the avif image decodes to ${width}x${height}, not the ${image.width}x${image.height} its container declares`,
    );
  }
  return {
    bitmap: { data: Buffer.from(data.buffer, data.byteOffset, data.byteLength), width, height },
    orientation: image.orientation,
    hasAlpha: image.hasAlpha,
    ...(image.iccProfile ? { iccProfile: image.iccProfile } : {}),
  };
}
