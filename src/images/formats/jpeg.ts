import { UnreadableImageError } from '../../errors';
import { estimateDecodeBytes } from '../budget';
import { decodeScaledJpeg, TurboDecodeError } from '../codecs/libjpeg-turbo-decoder';
import { decodeJpeg, JpegDecodeError } from '../codecs/mozjpeg';
import type { DeclaredImage, DecodedImage, DecodeOptions, ImageFormat } from '../types';
import { readJpegStructure } from './jpeg-structure';
import { oncePerFile } from './per-file';
import { SIGNATURES } from './signatures';

/** The structure inspect read, kept for decode. */
const structureOf = oncePerFile(readJpegStructure);

/**
 * The largest reduction libjpeg's DCT scaling can make that leaves at least `atLeast` (1 when none can):
 * 1/8, 1/4 or 1/2, each side rounded up as libjpeg does.
 */
export function scaleDenominator(
  size: { width: number; height: number },
  atLeast: DecodeOptions['atLeast'],
): 1 | 2 | 4 | 8 {
  if (!atLeast) return 1;
  for (const denominator of [8, 4, 2] as const) {
    if (
      Math.ceil(size.width / denominator) >= atLeast.width &&
      Math.ceil(size.height / denominator) >= atLeast.height
    ) {
      return denominator;
    }
  }
  return 1;
}

/**
 * JPEG: baseline and progressive, grey, YCbCr at any chroma subsampling through libjpeg-turbo
 * (WebAssembly), reduced while decoding when the render needs only a fraction of the size (DCT scaling),
 * and about 10% faster than MozJPEG's decoder at full size; MozJPEG for other sample precisions. CMYK
 * and YCCK (4 components, which MozJPEG cannot turn into RGB) through their own decoder and the
 * embedded CMYK profile. The EXIF orientation is applied by the render step, after shrinking.
 */
export const jpegFormat: ImageFormat = {
  name: 'jpeg',

  sniff: SIGNATURES.jpeg,

  inspect(bytes): DeclaredImage {
    const structure = structureOf(bytes);
    const pixels = structure.width * structure.height;
    // Measured with MozJPEG at full size (peak RSS above a warm process, 50 MP): the decoder's copy of
    // the file and ours, about 10 bytes a pixel for its RGBA output, the copy out of WebAssembly memory
    // and the memory's growth steps (the budget counts 4 of them itself), and for progressive files a
    // 16-bit coefficient per sample. libjpeg-turbo makes no copy out of its memory: this is an upper bound.
    const coefficients = structure.progressive ? pixels * structure.samplesPerPixel * 2 : 0;
    return {
      format: 'jpeg',
      width: structure.width,
      height: structure.height,
      bitsPerSample: structure.precision,
      channels: structure.components,
      workingBytes: 2 * bytes.length + pixels * 6 + coefficients,
    };
  },

  async decode(bytes, declared, options): Promise<DecodedImage> {
    const structure = structureOf(bytes);
    const colour = structure.iccProfile ? { iccProfile: structure.iccProfile } : {};
    if (structure.components === 4) {
      const { decodeCmykJpeg } = await import('./jpeg-cmyk');
      // The CMYK profile is applied while converting, so the result is sRGB already.
      const bitmap = await decodeCmykJpeg(bytes, {
        iccProfile: structure.iccProfile,
        adobeTransform: structure.adobeTransform,
        // The budget check passed on this estimate; the decoder holds itself to it.
        maxBytes: estimateDecodeBytes(declared),
      });
      return { bitmap, orientation: structure.orientation, hasAlpha: false };
    }
    const denominator = scaleDenominator(structure, options?.atLeast);
    if (structure.precision === 8) {
      // libjpeg-turbo, straight to a reduced size where the render needs no more (shrink-on-load).
      try {
        const bitmap = await decodeScaledJpeg(bytes, denominator);
        const fullSize = denominator > 1 ? { fullSize: { width: structure.width, height: structure.height } } : {};
        return { bitmap, orientation: structure.orientation, hasAlpha: false, ...fullSize, ...colour };
      } catch (error) {
        if (!(error instanceof TurboDecodeError)) throw error;
        // MozJPEG gets the last word, at full size: its build may read what this one refuses (arithmetic
        // coding, say), and it words the verdict on data neither can read.
      }
    }
    try {
      const bitmap = await decodeJpeg(bytes);
      return { bitmap, orientation: structure.orientation, hasAlpha: false, ...colour };
    } catch (error) {
      // Anything but a verdict on the data (the codec failing to load, say) is not the image's fault.
      if (!(error instanceof JpegDecodeError)) throw error;
      throw new UnreadableImageError('corrupt-image', `the jpeg data cannot be decoded: ${error.message}`);
    }
  },
};
