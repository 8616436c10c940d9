import { ImageTooLargeError, UnreadableImageError } from '../../errors';

/**
 * What a JPEG declares, read from its markers without decoding: the frame header, EXIF orientation,
 * the ICC profile, Adobe's colour transform and how many scans the decoder would run.
 */
export interface JpegStructure {
  readonly width: number;
  readonly height: number;
  /** Bits per sample: 8, or 12 for the rare 12-bit files. */
  readonly precision: number;
  /** 1 grey, 3 YCbCr/RGB, 4 CMYK/YCCK. */
  readonly components: number;
  readonly progressive: boolean;
  /**
   * Samples the decoder holds per pixel across components, from the sampling factors: 3 for 4:4:4,
   * 1.5 for 4:2:0, 1 for grey. Progressive decoding keeps a 16-bit coefficient for each.
   */
  readonly samplesPerPixel: number;
  readonly scans: number;
  /** EXIF orientation 1-8; 1 when absent or out of range. */
  readonly orientation: number;
  /** The ICC profile, reassembled from its APP2 chunks. */
  readonly iccProfile?: Uint8Array;
  /** Adobe APP14 transform flag: 0 none (RGB or CMYK), 1 YCbCr, 2 YCCK. Its presence also marks Adobe's inverted CMYK. */
  readonly adobeTransform?: number;
}

/**
 * More scans than any encoder writes (libjpeg's progressive default is 10, MozJPEG's under 20): each
 * scan is a pass over every coefficient of the image, so a file repeating one thousands of times turns
 * a few kilobytes into minutes of CPU.
 */
export const MAX_JPEG_SCANS = 100;

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
const APP1 = 0xe1;
const APP2 = 0xe2;
const APP14 = 0xee;

/** SOF0-SOF15 except DHT (C4), JPG (C8) and DAC (CC), which share the range. */
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/** Progressive: SOF2, SOF6, SOF10, SOF14. */
function isProgressive(marker: number): boolean {
  return (marker & 0x03) === 0x02;
}

function corrupt(reason: string): UnreadableImageError {
  return new UnreadableImageError('corrupt-image', `the jpeg data cannot be read: ${reason}`);
}

/** EXIF orientation from an APP1 segment: TIFF header, IFD0, tag 0x0112. */
function exifOrientation(segment: Buffer): number | undefined {
  if (segment.length < 14 || segment.toString('latin1', 0, 6) !== 'Exif\0\0') return undefined;
  const tiff = segment.subarray(6);
  const little = tiff.toString('latin1', 0, 2) === 'II';
  const u16 = (at: number) => (little ? tiff.readUInt16LE(at) : tiff.readUInt16BE(at));
  const u32 = (at: number) => (little ? tiff.readUInt32LE(at) : tiff.readUInt32BE(at));
  const ifd = u32(4);
  if (ifd + 2 > tiff.length) return undefined;
  const entries = u16(ifd);
  for (let i = 0; i < entries; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > tiff.length) return undefined;
    if (u16(entry) === 0x0112) {
      const value = u16(entry + 8);
      return value >= 1 && value <= 8 ? value : undefined;
    }
  }
  return undefined;
}

/** Skips entropy-coded data: returns the offset of the next marker that is not a stuffed 0xFF00 or RSTn. */
function endOfEntropyData(bytes: Buffer, from: number): number {
  let at = from;
  for (;;) {
    at = bytes.indexOf(0xff, at);
    if (at < 0 || at + 1 >= bytes.length) return bytes.length;
    const next = bytes[at + 1]!;
    if (next === 0x00 || (next >= 0xd0 && next <= 0xd7) || next === 0xff) {
      at += next === 0xff ? 1 : 2;
      continue;
    }
    return at;
  }
}

/**
 * Walks the markers of a whole JPEG. Entropy-coded data is skipped with a native byte search, so even a
 * 50 MB file is read in milliseconds. Throws for a structure no decoder should be given.
 */
export function readJpegStructure(bytes: Buffer): JpegStructure {
  if (bytes[0] !== 0xff || bytes[1] !== SOI) throw corrupt('no start-of-image marker');
  let frame: Omit<JpegStructure, 'scans' | 'orientation' | 'iccProfile' | 'adobeTransform'> | undefined;
  let orientation: number | undefined;
  let adobeTransform: number | undefined;
  const iccChunks = new Map<number, Buffer>();
  let scans = 0;
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) throw corrupt(`expected a marker at byte ${at}`);
    const marker = bytes[at + 1]!;
    if (marker === 0xff) {
      at += 1; // fill byte
      continue;
    }
    if (marker === EOI) break;
    if (marker >= 0xd0 && marker <= 0xd7) {
      at += 2;
      continue;
    }
    const length = bytes.readUInt16BE(at + 2);
    const start = at + 4;
    const end = at + 2 + length;
    if (length < 2 || end > bytes.length) throw corrupt(`a segment runs past the end of the file at byte ${at}`);
    const segment = bytes.subarray(start, end);
    if (isStartOfFrame(marker) && !frame) {
      if (segment.length < 6) throw corrupt('short frame header');
      const components = segment[5]!;
      if (components < 1 || segment.length < 6 + components * 3) throw corrupt('bad frame header');
      let hMax = 1;
      let vMax = 1;
      const factors: [number, number][] = [];
      for (let c = 0; c < components; c++) {
        const sampling = segment[6 + c * 3 + 1]!;
        const h = sampling >> 4 || 1;
        const v = sampling & 0x0f || 1;
        factors.push([h, v]);
        hMax = Math.max(hMax, h);
        vMax = Math.max(vMax, v);
      }
      frame = {
        precision: segment[0]!,
        height: segment.readUInt16BE(1),
        width: segment.readUInt16BE(3),
        components,
        progressive: isProgressive(marker),
        samplesPerPixel: factors.reduce((sum, [h, v]) => sum + (h * v) / (hMax * vMax), 0),
      };
    } else if (marker === APP1 && orientation === undefined) {
      orientation = exifOrientation(segment);
    } else if (marker === APP2 && segment.toString('latin1', 0, 12) === 'ICC_PROFILE\0' && segment.length > 14) {
      iccChunks.set(segment[12]!, segment.subarray(14));
    } else if (marker === APP14 && segment.toString('latin1', 0, 5) === 'Adobe' && segment.length >= 12) {
      adobeTransform = segment[11];
    }
    at = end;
    if (marker === SOS) {
      scans += 1;
      if (scans > MAX_JPEG_SCANS) {
        throw new ImageTooLargeError(
          'too-many-scans',
          `the jpeg has more than ${MAX_JPEG_SCANS} scans; encoders write at most a few dozen, and each one costs a full pass over the image`,
        );
      }
      at = endOfEntropyData(bytes, at);
    }
  }
  if (!frame) throw corrupt('no frame header (SOF) before the image data');
  if (frame.width === 0 || frame.height === 0)
    throw corrupt(`the frame header declares ${frame.width}x${frame.height}`);
  if (scans === 0) throw corrupt('no image data (no SOS marker)');
  const ordered = [...iccChunks.keys()].sort((a, b) => a - b).map((sequence) => iccChunks.get(sequence)!);
  return {
    ...frame,
    scans,
    orientation: orientation ?? 1,
    ...(ordered.length > 0 ? { iccProfile: new Uint8Array(Buffer.concat(ordered)) } : {}),
    ...(adobeTransform !== undefined ? { adobeTransform } : {}),
  };
}
