import { compilePackagedWasm } from '../codecs/wasm';
import { UnreadableImageError } from '../../errors';
import type { DeclaredImage, DecodedImage, ImageFormat } from '../types';
import { SIGNATURES } from './signatures';

/**
 * BMP: the DIB header is read and checked here (size, bit count, compression, and that the pixel data
 * it implies is in the file); libnsbmp, NetSurf's BMP decoder compiled to WebAssembly (@cwasm/nsbmp),
 * decodes. jimp's bmp-ts was not used: it misplaces RLE pixels and ignores the pixel data offset.
 *
 * Its WebAssembly memory holds the file and the RGBA output while it decodes: a fresh instance per
 * image, so that memory goes with it instead of staying with the container.
 */

const FILE_HEADER_BYTES = 14;
/**
 * BITMAPCOREHEADER (OS/2 1.x), BITMAPINFOHEADER, its V3 extension (Adobe, with an alpha mask),
 * BITMAPV4HEADER, BITMAPV5HEADER. Not Adobe's V2 (52 bytes), which libnsbmp does not read.
 */
const HEADER_SIZES = new Set([12, 40, 56, 108, 124]);

const BI_RGB = 0;
const BI_RLE8 = 1;
const BI_RLE4 = 2;
const BI_BITFIELDS = 3;
const COMPRESSION_NAMES: Record<number, string> = {
  4: 'BI_JPEG',
  5: 'BI_PNG',
  6: 'BI_ALPHABITFIELDS',
  11: 'BI_CMYK',
  12: 'BI_CMYKRLE8',
  13: 'BI_CMYKRLE4',
};

interface BmpHeader {
  readonly width: number;
  readonly height: number;
  readonly bitCount: number;
  readonly compression: number;
  /** Bit fields with a non-zero alpha mask: the only BMPs whose fourth byte libnsbmp reads as alpha. */
  readonly declaresAlpha: boolean;
}

function corrupt(reason: string): UnreadableImageError {
  return new UnreadableImageError('corrupt-image', `the bmp data cannot be read: ${reason}`);
}

function unsupported(reason: string): UnreadableImageError {
  return new UnreadableImageError('unsupported-format', `this bmp is not supported: ${reason}`);
}

/** Reads and checks the file and DIB headers; throws for anything the decoder would not read or would pay for. */
export function readBmpHeader(bytes: Buffer): BmpHeader {
  if (bytes.length < FILE_HEADER_BYTES + 4) throw corrupt('the file ends inside its header');
  const dataOffset = bytes.readUInt32LE(10);
  const headerSize = bytes.readUInt32LE(14);
  if (!HEADER_SIZES.has(headerSize)) throw unsupported(`DIB header of ${headerSize} bytes`);
  if (bytes.length < FILE_HEADER_BYTES + headerSize) throw corrupt('the file ends inside its DIB header');

  const core = headerSize === 12;
  const width = core ? bytes.readUInt16LE(18) : bytes.readInt32LE(18);
  const storedHeight = core ? bytes.readUInt16LE(20) : bytes.readInt32LE(22);
  const bitCount = bytes.readUInt16LE(core ? 24 : 28);
  const compression = core ? BI_RGB : bytes.readUInt32LE(30);
  // Negative: rows stored top-down. -2^31 has no positive counterpart.
  const height = Math.abs(storedHeight);
  if (width <= 0 || height === 0 || storedHeight === -0x80000000) {
    throw corrupt(`width ${width}, height ${storedHeight}`);
  }
  if (![1, 4, 8, 16, 24, 32].includes(bitCount) || (core && ![1, 4, 8, 24].includes(bitCount))) {
    throw unsupported(`${bitCount} bits per pixel`);
  }

  let masksEnd = FILE_HEADER_BYTES + headerSize;
  let declaresAlpha = false;
  if (compression === BI_RLE8 || compression === BI_RLE4) {
    if (bitCount !== (compression === BI_RLE8 ? 8 : 4))
      throw corrupt(`RLE${compression === BI_RLE8 ? 8 : 4} at ${bitCount} bits`);
    if (storedHeight < 0) throw corrupt('RLE rows stored top-down');
  } else if (compression === BI_BITFIELDS) {
    if (bitCount !== 16 && bitCount !== 32) throw corrupt(`bit fields at ${bitCount} bits`);
    // A BITMAPINFOHEADER is followed by three masks; the later headers hold them (and an alpha mask) inside.
    if (headerSize === 40) masksEnd += 12;
    if (masksEnd > bytes.length) throw corrupt('the file ends inside its colour masks');
    declaresAlpha = headerSize >= 56 && bytes.readUInt32LE(FILE_HEADER_BYTES + 52) !== 0;
  } else if (compression !== BI_RGB) {
    throw unsupported(`compression ${COMPRESSION_NAMES[compression] ?? compression}`);
  }

  if (dataOffset < masksEnd || dataOffset >= bytes.length) {
    throw corrupt(`pixel data offset ${dataOffset} outside the file's ${bytes.length} bytes`);
  }
  if (compression === BI_RGB || compression === BI_BITFIELDS) {
    // Rows are padded to 4 bytes; the last row's padding may be missing.
    const stride = Math.floor((width * bitCount + 31) / 32) * 4;
    const needed = stride * (height - 1) + Math.ceil((width * bitCount) / 8);
    if (dataOffset + needed > bytes.length) {
      throw corrupt(
        `${width}x${height} at ${bitCount} bits needs ${needed} bytes of pixel data; the file has ${bytes.length - dataOffset}`,
      );
    }
  }
  // RLE data can legitimately be far shorter than the image (runs, skips, an early end of bitmap), and
  // libnsbmp stops at the end of the image or of the data, so the work stays bounded by the pixel budget.
  return { width, height, bitCount, compression, declaresAlpha };
}

let compiled: Promise<WebAssembly.Module> | undefined;

function compile(): Promise<WebAssembly.Module> {
  // Read from node_modules (serverless.yml packages the file at that path): the package's own loader
  // looks next to its script, which is not where the bundled function runs.
  compiled ??= compilePackagedWasm('@cwasm/nsbmp/nsbmp.wasm');
  compiled.catch(() => (compiled = undefined));
  return compiled;
}

interface Nsbmp {
  memory: WebAssembly.Memory;
  malloc(bytes: number): number;
  free(pointer: number): void;
  /** Writes the RGBA output's address, width and height to the three pointers; 0 on success. */
  decode_bmp(output: number, width: number, height: number, source: number, size: number): number;
}

/** Decodes a whole BMP file to RGBA with libnsbmp; throws a corrupt-image failure if it refuses it. */
async function decodeWithNsbmp(bytes: Buffer): Promise<{ data: Buffer; width: number; height: number }> {
  const refuse = (name: string) => () => {
    throw new Error(`libnsbmp called ${name}, which this host does not provide`);
  };
  const instance = await WebAssembly.instantiate(await compile(), {
    env: { setjmp: () => 0, longjmp: refuse('longjmp') },
    wasi_snapshot_preview1: {
      proc_exit: refuse('proc_exit'),
      fd_close: refuse('fd_close'),
      fd_seek: refuse('fd_seek'),
      fd_write: refuse('fd_write'),
    },
  });
  const nsbmp = instance.exports as unknown as Nsbmp;
  const source = nsbmp.malloc(bytes.length);
  const results = nsbmp.malloc(12);
  if (source === 0 || results === 0) throw new Error('libnsbmp could not allocate the input');
  new Uint8Array(nsbmp.memory.buffer, source, bytes.length).set(bytes);
  const status = nsbmp.decode_bmp(results, results + 4, results + 8, source, bytes.length);
  if (status !== 0) throw corrupt(`libnsbmp refused it (status ${status})`);
  const [output, width, height] = new Uint32Array(nsbmp.memory.buffer, results, 3);
  // Copied out: the instance and its memory are dropped when this returns.
  const data = Buffer.from(new Uint8Array(nsbmp.memory.buffer, output!, width! * height! * 4));
  return { data, width: width!, height: height! };
}

/** Samples per pixel as stored: a palette index, or the colour components (and alpha) of a pixel. */
function storedChannels(header: BmpHeader): number {
  if (header.bitCount <= 8) return 1;
  return header.declaresAlpha ? 4 : 3;
}

export const bmpFormat: ImageFormat = {
  name: 'bmp',

  sniff: SIGNATURES.bmp,

  inspect(bytes: Buffer): DeclaredImage {
    const header = readBmpHeader(bytes);
    return {
      format: 'bmp',
      width: header.width,
      height: header.height,
      bitsPerSample: 8,
      channels: storedChannels(header),
      // The decoder's WebAssembly memory: a copy of the file and its own RGBA output, copied out.
      workingBytes: bytes.length + header.width * header.height * 4,
    };
  },

  async decode(bytes: Buffer): Promise<DecodedImage> {
    const header = readBmpHeader(bytes);
    const image = await decodeWithNsbmp(bytes);
    if (image.width !== header.width || image.height !== header.height) {
      throw corrupt(`decoded ${image.width}x${image.height}, header says ${header.width}x${header.height}`);
    }
    const data = image.data;
    return {
      bitmap: { data, width: image.width, height: image.height },
      orientation: 1,
      hasAlpha: header.declaresAlpha && resolveAlpha(data),
    };
  },
};

/**
 * Whether any pixel is transparent. A file whose alpha is 0 everywhere is opaque, as browsers show it:
 * writers that declare an alpha mask but leave the byte at 0 are common, and all-invisible is never meant.
 */
function resolveAlpha(rgba: Buffer): boolean {
  let anyVisible = false;
  let anyTranslucent = false;
  for (let at = 3; at < rgba.length; at += 4) {
    const alpha = rgba[at]!;
    if (alpha !== 0) anyVisible = true;
    if (alpha !== 255) anyTranslucent = true;
    if (anyVisible && anyTranslucent) return true;
  }
  if (!anyVisible) {
    for (let at = 3; at < rgba.length; at += 4) rgba[at] = 255;
    return false;
  }
  return anyTranslucent;
}
