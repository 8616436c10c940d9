import {
  hasEndMarker,
  LibjpegError,
  openJpeg,
  TJPF_CMYK,
  TurboDecodeError,
  type OpenedJpeg,
} from '../codecs/libjpeg-turbo-decoder';
import { ImageTooLargeError, UnreadableImageError } from '../../errors';
import { convertCmykToSrgb } from '../colour';
import type { RgbaBitmap } from '../types';

/**
 * 4-component JPEGs (CMYK, YCCK) through libjpeg-turbo compiled to WebAssembly
 * (codecs/libjpeg-turbo-decoder.ts). MozJPEG's build cannot output
 * anything but RGB(A) from them ("Unsupported color conversion request"), and jimp's JavaScript decoder
 * gives up at 512 MB; libjpeg-turbo outputs the four components as stored (YCCK already turned into
 * CMYK), which colour.ts then converts to sRGB with the embedded profile.
 */

const TJCS_CMYK = 3;
const TJCS_YCCK = 4;

/**
 * From the frame header: whether the file is progressive (SOF2/6/10/14: libjpeg then holds a 16-bit
 * coefficient for every sample) and the samples per pixel once chroma subsampling is counted.
 */
function frameOf(bytes: Buffer): { progressive: boolean; samplesPerPixel: number } {
  let offset = 2;
  while (offset + 4 <= bytes.length && bytes[offset] === 0xff) {
    const marker = bytes[offset + 1]!;
    if (marker === 0xff) {
      offset += 1;
      continue;
    }
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      const count = bytes[offset + 9] ?? 0;
      const factors: [number, number][] = [];
      for (let k = 0; k < count && offset + 12 + k * 3 <= bytes.length; k++) {
        const hv = bytes[offset + 11 + k * 3]!;
        factors.push([hv >> 4, hv & 0x0f]);
      }
      const hMax = Math.max(1, ...factors.map(([h]) => h));
      const vMax = Math.max(1, ...factors.map(([, v]) => v));
      const samplesPerPixel = factors.reduce((sum, [h, v]) => sum + (h * v) / (hMax * vMax), 0);
      return { progressive: (marker & 0x03) === 0x02, samplesPerPixel };
    }
    offset += 2 + bytes.readUInt16BE(offset + 2);
  }
  return { progressive: false, samplesPerPixel: 4 };
}

const mib = (bytes: number): string => `${Math.round(bytes / 2 ** 20).toLocaleString('en')} MiB`;

/**
 * Decodes a 4-component JPEG to sRGB RGBA. CMYK or YCCK is read from the file by libjpeg itself (the
 * Adobe APP14 transform flag, 2 for YCCK). The samples are taken as Adobe's inverted CMYK (255 no ink),
 * which Photoshop writes, with or without that marker (`adobeTransform` does not change it): libvips
 * (sharp) and Chrome do the same, as CMYK JPEGs without the marker turn out to be inverted too.
 * `iccProfile`: the embedded CMYK profile; without one the conversion is uncalibrated (see colour.ts).
 * `maxBytes`: decoding needs more than this (file copy, CMYK output, its JavaScript copy, coefficients
 * of a progressive file): refused before any pixel is decoded.
 */
export async function decodeCmykJpeg(
  bytes: Buffer,
  options: { iccProfile?: Uint8Array | undefined; adobeTransform?: number | undefined; maxBytes: number },
): Promise<RgbaBitmap> {
  // In two steps, so the decoder's memory can be reclaimed while the colours are converted.
  const { cmyk, width, height } = await decodeComponents(bytes, options.maxBytes);
  return convertCmykToSrgb(cmyk, width, height, { iccProfile: options.iccProfile, inverted: true });
}

/** The four components as stored, 4 bytes a pixel (YCCK already made CMYK by libjpeg). */
async function decodeComponents(
  bytes: Buffer,
  maxBytes: number,
): Promise<{ cmyk: Buffer; width: number; height: number }> {
  const corrupt = (why: string) => new UnreadableImageError('corrupt-image', `the CMYK jpeg data ${why}`);
  let opened: OpenedJpeg;
  try {
    opened = await openJpeg(bytes);
  } catch (error) {
    if (error instanceof TurboDecodeError) throw corrupt('has no readable frame header');
    throw error;
  }
  const { jpeg, handle, source, width, height } = opened;
  if (opened.colourspace !== TJCS_CMYK && opened.colourspace !== TJCS_YCCK) throw new Error('not a CMYK or YCCK jpeg');

  const pixels = width * height;
  const frame = frameOf(bytes);
  const coefficients = frame.progressive ? Math.ceil(pixels * frame.samplesPerPixel * 2) : 0;
  const needed = bytes.length + pixels * 8 + coefficients;
  if (needed > maxBytes) {
    throw new ImageTooLargeError(
      'over-memory-budget',
      `decoding the ${width}x${height} CMYK jpeg needs about ${mib(needed)}, over the decode budget of ${mib(maxBytes)}`,
    );
  }
  const output = jpeg.malloc(pixels * 4);
  if (!output) throw new ImageTooLargeError('over-memory-budget', `no memory for the ${width}x${height} CMYK jpeg`);
  let status: number;
  try {
    status = jpeg.tjDecompress2(handle, source, bytes.length, output, width, width * 4, height, TJPF_CMYK, 0);
  } catch (error) {
    if (error instanceof LibjpegError) throw corrupt('cannot be decoded');
    throw error;
  }
  // -1 without an error: libjpeg warned and went on (extraneous bytes, a missing end marker...). A file
  // cut short is padded with grey, so that one is refused, as for other JPEGs.
  if (status !== 0 && !hasEndMarker(bytes)) throw corrupt('is truncated');
  return { cmyk: Buffer.from(new Uint8Array(jpeg.memory.buffer, output, pixels * 4)), width, height };
}
