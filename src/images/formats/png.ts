import { crc32, createInflate, inflateSync } from 'node:zlib';
import { ImageTooLargeError, UnreadableImageError } from '../../errors';
import { decodePng } from '../codecs/png';
import type { DeclaredImage, DecodedImage, ImageFormat } from '../types';
import { oncePerFile } from './per-file';
import { PNG_SIGNATURE, SIGNATURES } from './signatures';

/** Samples per pixel by PNG colour type: grey, RGB, palette, grey + alpha, RGBA. */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/** Adam7: for each of the 7 passes, the first column and row and the steps between them. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

/** An ICC profile larger than this is not a colour profile; it is ignored rather than inflated. */
const MAX_ICC_BYTES = 4 * 1024 * 1024;

interface PngStructure {
  readonly width: number;
  readonly height: number;
  readonly bitDepth: number;
  readonly colourType: number;
  readonly interlaced: boolean;
  readonly hasTransparency: boolean;
  /** The zlib stream of the image data, all IDAT chunks joined. */
  readonly compressedLength: number;
  readonly idat: readonly Buffer[];
  readonly compressedIcc?: Buffer;
}

function corrupt(reason: string): UnreadableImageError {
  return new UnreadableImageError('corrupt-image', `the png data cannot be read: ${reason}`);
}

/** Filtered bytes the image data must inflate to: one filter byte per row, per interlace pass. */
export function inflatedSize(width: number, height: number, bitsPerPixel: number, interlaced: boolean): number {
  const rows = (w: number, h: number) => (w === 0 || h === 0 ? 0 : h * (1 + Math.ceil((w * bitsPerPixel) / 8)));
  if (!interlaced) return rows(width, height);
  return ADAM7.reduce(
    (sum, [x0, y0, dx, dy]) => sum + rows(Math.ceil((width - x0) / dx), Math.ceil((height - y0) / dy)),
    0,
  );
}

function readStructure(bytes: Buffer): PngStructure {
  let at = PNG_SIGNATURE.length;
  let header: Omit<PngStructure, 'hasTransparency' | 'compressedLength' | 'idat' | 'compressedIcc'> | undefined;
  let hasTransparency = false;
  let compressedIcc: Buffer | undefined;
  const idat: Buffer[] = [];
  while (at + 8 <= bytes.length) {
    const length = bytes.readUInt32BE(at);
    const type = bytes.toString('latin1', at + 4, at + 8);
    const data = bytes.subarray(at + 8, at + 8 + length);
    if (at + 12 + length > bytes.length) throw corrupt(`the ${type} chunk runs past the end of the file`);
    // The decoder does not check CRCs; a damaged file is better refused than drawn with garbage.
    if (crc32(bytes.subarray(at + 4, at + 8 + length)) >>> 0 !== bytes.readUInt32BE(at + 8 + length)) {
      throw corrupt(`the ${type} chunk fails its CRC check`);
    }
    if (type === 'IHDR') {
      if (length < 13) throw corrupt('short IHDR chunk');
      header = {
        width: data.readUInt32BE(0),
        height: data.readUInt32BE(4),
        bitDepth: data[8]!,
        colourType: data[9]!,
        interlaced: data[12] === 1,
      };
    } else if (type === 'IDAT') {
      idat.push(data);
    } else if (type === 'tRNS') {
      hasTransparency = true;
    } else if (type === 'iCCP') {
      const nameEnd = data.indexOf(0);
      // Name, NUL, compression method (0: zlib), then the compressed profile.
      if (nameEnd > 0 && nameEnd + 2 <= data.length) compressedIcc = data.subarray(nameEnd + 2);
    } else if (type === 'IEND') {
      break;
    }
    at += 12 + length;
  }
  if (!header) throw corrupt('no IHDR chunk');
  if (!(header.colourType in CHANNELS)) throw corrupt(`unknown colour type ${header.colourType}`);
  if (header.width === 0 || header.height === 0) throw corrupt(`the header declares ${header.width}x${header.height}`);
  if (idat.length === 0) throw corrupt('no image data (IDAT)');
  const compressedLength = idat.reduce((sum, chunk) => sum + chunk.length, 0);
  return {
    ...header,
    hasTransparency: hasTransparency || header.colourType === 4 || header.colourType === 6,
    compressedLength,
    idat,
    ...(compressedIcc ? { compressedIcc } : {}),
  };
}

/** The structure inspect read, kept for decode. */
const structureOf = oncePerFile(readStructure);

function expectedSize(structure: PngStructure): number {
  const bitsPerPixel = CHANNELS[structure.colourType]! * structure.bitDepth;
  return inflatedSize(structure.width, structure.height, bitsPerPixel, structure.interlaced);
}

function inflationRefused(structure: PngStructure, detail: string): ImageTooLargeError {
  return new ImageTooLargeError(
    'inflated-size-exceeded',
    `the png image data ${detail}; its ${structure.width}x${structure.height} header accounts for ${expectedSize(structure).toLocaleString('en')} bytes`,
  );
}

/** Bytes the zlib stream inflates to, counted and discarded, stopping as soon as it passes `limit`. */
function inflatedLength(stream: readonly Buffer[], limit: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const inflate = createInflate({ chunkSize: 256 * 1024 });
    let total = 0;
    inflate.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total > limit) {
        inflate.destroy();
        resolve(total);
      }
    });
    inflate.on('end', () => resolve(total));
    inflate.on('error', reject);
    for (const chunk of stream) inflate.write(chunk);
    inflate.end();
  });
}

/**
 * Proves the image data ends where its header says before the decoder sees it: the decoder keeps
 * inflating past the last row until the stream ends (a 1 MB stream of zeros is 1 GB of work). Native
 * zlib, streamed, so memory stays at one chunk: tens of milliseconds for 12 MP.
 */
async function checkInflatedSize(structure: PngStructure): Promise<void> {
  const expected = expectedSize(structure);
  let inflated: number;
  try {
    inflated = await inflatedLength(structure.idat, expected);
  } catch (error) {
    throw corrupt(`the image data is not a valid zlib stream (${(error as Error).message})`);
  }
  if (inflated > expected) throw inflationRefused(structure, 'inflates to more bytes than its header accounts for');
  if (inflated < expected) throw corrupt(`the image data ends early (${inflated} of ${expected} bytes)`);
}

function iccProfileOf(structure: PngStructure): Uint8Array | undefined {
  if (!structure.compressedIcc) return undefined;
  try {
    return new Uint8Array(inflateSync(structure.compressedIcc, { maxOutputLength: MAX_ICC_BYTES }));
  } catch {
    return undefined; // An unreadable profile: the pixels are taken as sRGB, as without one.
  }
}

/**
 * PNG: every bit depth (1-16), grey, palette, alpha, interlaced, through the Rust `png` crate compiled
 * to WebAssembly (@jsquash/png), which strips 16-bit samples to 8 bits while decoding. For APNG the
 * default image (IDAT) is the first frame.
 */
export const pngFormat: ImageFormat = {
  name: 'png',

  sniff: SIGNATURES.png,

  inspect(bytes): DeclaredImage {
    const structure = structureOf(bytes);
    const expected = expectedSize(structure);
    // Deflate never makes data much larger: 5 bytes per 64 KiB stored block, plus the zlib wrapper.
    // More compressed data than that is data past the last row.
    if (structure.compressedLength > expected + Math.ceil(expected / 65_535) * 5 + 1024) {
      throw inflationRefused(
        structure,
        `is ${structure.compressedLength.toLocaleString('en')} compressed bytes, more than any encoding of the image needs`,
      );
    }
    const pixels = structure.width * structure.height;
    return {
      format: 'png',
      width: structure.width,
      height: structure.height,
      bitsPerSample: structure.bitDepth,
      channels: CHANNELS[structure.colourType]!,
      // The decoder's copy of the file, its rows as stored (16-bit samples stripped to 8 as they are
      // read), and its RGBA output, which is then copied out of WebAssembly memory (the budget counts
      // that copy itself). The inflate check streams, so it adds nothing.
      workingBytes: bytes.length + pixels * CHANNELS[structure.colourType]! + pixels * 4,
    };
  },

  async decode(bytes): Promise<DecodedImage> {
    const structure = structureOf(bytes);
    await checkInflatedSize(structure);
    let bitmap;
    try {
      bitmap = await decodePng(bytes);
    } catch (error) {
      throw corrupt((error as Error).message);
    }
    const iccProfile = iccProfileOf(structure);
    return { bitmap, orientation: 1, hasAlpha: structure.hasTransparency, ...(iccProfile ? { iccProfile } : {}) };
  },
};
