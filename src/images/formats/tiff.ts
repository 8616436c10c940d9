import { constants, inflateSync } from 'node:zlib';
import type { IFD } from 'utif2';
import { ImageTooLargeError, UnreadableImageError } from '../../errors';
import { decodeJpeg, JpegDecodeError } from '../codecs/mozjpeg';
import type { DeclaredImage, DecodedImage, ImageFormat } from '../types';
import { readJpegStructure } from './jpeg-structure';
import { SIGNATURES } from './signatures';

/**
 * TIFF: the first page (IFD0) only; later pages are never looked at, not even their directories.
 *
 * UTIF (utif2) converts the samples to RGBA (photometric interpretations, palettes, 16 bits), but its
 * own reader is not used: UTIF.decode follows every IFD and sub-IFD of the file with no limit, and its
 * decompressors have no output cap (an LZW or Deflate strip of a 1x1 page can expand to gigabytes). So
 * IFD0 is read here, every strip or tile is decompressed into a buffer of the size the header
 * declares (zlib for Deflate, with a cap; LZW and PackBits stop when it is full), and only then does
 * UTIF.toRGBA8 see the samples.
 *
 * JPEG-compressed pages (libvips' default) go to MozJPEG instead, one strip or tile at a time, each
 * checked first like a JPEG file (its frame no larger than the strip or tile, its scans counted).
 */

const TAG = {
  width: 256,
  height: 257,
  bitsPerSample: 258,
  compression: 259,
  photometric: 262,
  fillOrder: 266,
  stripOffsets: 273,
  orientation: 274,
  samplesPerPixel: 277,
  rowsPerStrip: 278,
  stripByteCounts: 279,
  planarConfiguration: 284,
  predictor: 317,
  colorMap: 320,
  tileWidth: 322,
  tileLength: 323,
  tileOffsets: 324,
  tileByteCounts: 325,
  extraSamples: 338,
  sampleFormat: 339,
  jpegTables: 347,
  iccProfile: 34675,
} as const;

/** An ICC profile larger than this is not a colour profile; it is ignored. */
const MAX_ICC_BYTES = 4 * 1024 * 1024;

/** Bytes per value of each field type (TIFF 6.0, section 2). */
const TYPE_SIZES: Record<number, number> = {
  1: 1,
  2: 1,
  3: 2,
  4: 4,
  5: 8,
  6: 1,
  7: 1,
  8: 2,
  9: 4,
  10: 8,
  11: 4,
  12: 8,
  13: 4,
};

const COMPRESSION = { none: 1, lzw: 5, jpeg: 7, deflate: 8, adobeDeflate: 32946, packBits: 32773 } as const;
const COMPRESSION_NAMES: Record<number, string> = {
  2: 'CCITT RLE',
  3: 'CCITT Group 3',
  4: 'CCITT Group 4',
  6: 'old-style JPEG',
  7: 'JPEG',
  34712: 'JPEG 2000',
  34887: 'LERC',
  34925: 'LZMA',
  50000: 'Zstandard',
  50001: 'WebP',
};

const PHOTOMETRIC = { whiteIsZero: 0, blackIsZero: 1, rgb: 2, palette: 3, yCbCr: 6 } as const;

/** The values of one IFD entry, read on demand from the file (a strip table can be millions long). */
interface Field {
  readonly count: number;
  get(index: number): number;
}

/** IFD0, checked: what will be decoded and where its compressed chunks are. */
export interface TiffPage {
  readonly littleEndian: boolean;
  readonly width: number;
  readonly height: number;
  readonly bitsPerSample: number;
  readonly samplesPerPixel: number;
  readonly photometric: number;
  readonly compression: number;
  readonly predictor: number;
  /** Extra sample 1 (premultiplied alpha) or 2 (straight alpha) after the colour samples; 0: none. */
  readonly alpha: 0 | 1 | 2;
  readonly orientation: number;
  /** The colour map (3 x 2^bits, 16-bit values), for palette images. */
  readonly colorMap?: readonly number[];
  /** Width and height of a strip (the image width) or a tile. */
  readonly chunkWidth: number;
  readonly chunkHeight: number;
  readonly chunksAcross: number;
  readonly chunksDown: number;
  readonly offsets: Field;
  readonly byteCounts: Field;
  /** JPEG compression: the quantisation and Huffman tables its strips or tiles share (SOI ... EOI). */
  readonly jpegTables?: Buffer;
  readonly iccProfile?: Buffer;
}

function corrupt(reason: string): UnreadableImageError {
  return new UnreadableImageError('corrupt-image', `the tiff data cannot be read: ${reason}`);
}

function unsupported(reason: string): UnreadableImageError {
  return new UnreadableImageError('unsupported-format', `this tiff is not supported: ${reason}`);
}

/** Bytes of one row of `width` pixels. */
function rowBytes(page: Pick<TiffPage, 'bitsPerSample' | 'samplesPerPixel'>, width: number): number {
  return Math.ceil((width * page.samplesPerPixel * page.bitsPerSample) / 8);
}

/** Reads IFD0's entries: each tag's values, checked to lie inside the file. */
function readIfd0(bytes: Buffer): {
  littleEndian: boolean;
  fields: Map<number, Field>;
  jpegTables?: Buffer;
  iccProfile?: Buffer;
} {
  if (bytes.length < 8) throw corrupt('the file ends inside its header');
  const littleEndian = bytes[0] === 0x49;
  const u16 = (at: number) => (littleEndian ? bytes.readUInt16LE(at) : bytes.readUInt16BE(at));
  const u32 = (at: number) => (littleEndian ? bytes.readUInt32LE(at) : bytes.readUInt32BE(at));
  const ifd = u32(4);
  if (ifd < 8 || ifd + 2 > bytes.length) throw corrupt(`first directory at ${ifd}, outside the file`);
  const entries = u16(ifd);
  if (ifd + 2 + entries * 12 > bytes.length) throw corrupt('the file ends inside the first directory');

  const fields = new Map<number, Field>();
  let jpegTables: Buffer | undefined;
  let iccProfile: Buffer | undefined;
  for (let i = 0; i < entries; i++) {
    const entry = ifd + 2 + i * 12;
    const tag = u16(entry);
    const type = u16(entry + 2);
    const count = u32(entry + 4);
    const size = TYPE_SIZES[type];
    if (tag === TAG.jpegTables && (type === 7 || type === 1)) {
      const at = count <= 4 ? entry + 8 : u32(entry + 8);
      if (at + count > bytes.length) throw corrupt('its JPEG tables run past the end of the file');
      jpegTables = bytes.subarray(at, at + count);
      continue;
    }
    if (tag === TAG.iccProfile && (type === 7 || type === 1)) {
      const at = count <= 4 ? entry + 8 : u32(entry + 8);
      if (count <= MAX_ICC_BYTES && at + count <= bytes.length) iccProfile = bytes.subarray(at, at + count);
      continue;
    }
    // Unknown types are skipped, as the specification asks; only integer tags are needed here.
    if (size === undefined || ![1, 3, 4, 13].includes(type)) continue;
    const valueAt = count * size <= 4 ? entry + 8 : u32(entry + 8);
    if (valueAt + count * size > bytes.length) throw corrupt(`tag ${tag} has ${count} values past the end of the file`);
    const get =
      type === 3
        ? (n: number) => u16(valueAt + 2 * n)
        : type === 1
          ? (n: number) => bytes[valueAt + n]!
          : (n: number) => u32(valueAt + 4 * n);
    fields.set(tag, { count, get });
  }
  return { littleEndian, fields, ...(jpegTables ? { jpegTables } : {}), ...(iccProfile ? { iccProfile } : {}) };
}

/** Reads and checks IFD0: refuses what UTIF cannot convert and any structure beyond what the page needs. */
export function readFirstPage(bytes: Buffer): TiffPage {
  const { littleEndian, fields, jpegTables, iccProfile } = readIfd0(bytes);
  const value = (tag: number, fallback?: number): number => {
    const field = fields.get(tag);
    if (field && field.count > 0) return field.get(0);
    if (fallback === undefined) throw corrupt(`the first page has no tag ${tag}`);
    return fallback;
  };

  const width = value(TAG.width);
  const height = value(TAG.height);
  if (width === 0 || height === 0) throw corrupt(`the first page is ${width}x${height}`);
  const samplesPerPixel = value(TAG.samplesPerPixel, 1);
  if (samplesPerPixel === 0) throw corrupt('0 samples per pixel');
  const bits = fields.get(TAG.bitsPerSample);
  const bitsPerSample = value(TAG.bitsPerSample, 1);
  for (let i = 1; bits && i < Math.min(bits.count, samplesPerPixel); i++) {
    if (bits.get(i) !== bitsPerSample) throw unsupported('samples of different bit depths');
  }
  const photometric = value(TAG.photometric, samplesPerPixel >= 3 ? PHOTOMETRIC.rgb : PHOTOMETRIC.blackIsZero);
  const compression = value(TAG.compression, COMPRESSION.none);
  const predictor = value(TAG.predictor, 1);
  const extraSamples = fields.get(TAG.extraSamples);
  const firstExtra = extraSamples && extraSamples.count > 0 ? extraSamples.get(0) : 0;
  const orientation = value(TAG.orientation, 1);

  if (value(TAG.sampleFormat, 1) !== 1) throw unsupported('samples that are not unsigned integers');
  if (samplesPerPixel > 1 && value(TAG.planarConfiguration, 1) !== 1) throw unsupported('separate colour planes');
  if (value(TAG.fillOrder, 1) !== 1) throw unsupported('fill order 2 (bits reversed)');
  if (!Object.values(COMPRESSION).includes(compression as never)) {
    throw unsupported(`compression ${COMPRESSION_NAMES[compression] ?? compression}`);
  }
  if (predictor !== 1 && !(predictor === 2 && (bitsPerSample === 8 || bitsPerSample === 16))) {
    throw unsupported(`predictor ${predictor} at ${bitsPerSample} bits`);
  }

  // What UTIF.toRGBA8 converts (or MozJPEG decodes), and the alpha it keeps.
  const colourSamples = photometric === PHOTOMETRIC.rgb ? 3 : 1;
  const jpeg = compression === COMPRESSION.jpeg;
  const supported = jpeg
    ? bitsPerSample === 8 &&
      predictor === 1 &&
      ((samplesPerPixel === 3 && (photometric === PHOTOMETRIC.yCbCr || photometric === PHOTOMETRIC.rgb)) ||
        (samplesPerPixel === 1 && photometric === PHOTOMETRIC.blackIsZero))
    : (photometric === PHOTOMETRIC.whiteIsZero && samplesPerPixel === 1 && [1, 4, 8, 16].includes(bitsPerSample)) ||
      (photometric === PHOTOMETRIC.blackIsZero &&
        ((samplesPerPixel === 1 && [1, 2, 8, 16].includes(bitsPerSample)) ||
          (samplesPerPixel === 2 && bitsPerSample === 8))) ||
      (photometric === PHOTOMETRIC.rgb &&
        ((bitsPerSample === 8 && samplesPerPixel >= 3) ||
          (bitsPerSample === 16 && (samplesPerPixel === 3 || samplesPerPixel === 4)))) ||
      (photometric === PHOTOMETRIC.palette && samplesPerPixel === 1 && [1, 2, 4, 8].includes(bitsPerSample));
  if (!supported) {
    throw unsupported(`photometric interpretation ${photometric} at ${samplesPerPixel} x ${bitsPerSample} bits`);
  }
  const alpha = !jpeg && samplesPerPixel > colourSamples && (firstExtra === 1 || firstExtra === 2) ? firstExtra : 0;

  let colorMap: number[] | undefined;
  if (photometric === PHOTOMETRIC.palette) {
    const map = fields.get(TAG.colorMap);
    const entries = 3 * (1 << bitsPerSample);
    if (!map || map.count < entries) throw corrupt('a palette image without its colour map');
    colorMap = Array.from({ length: entries }, (_, i) => map.get(i));
  }

  const tiled = fields.has(TAG.tileWidth) || fields.has(TAG.tileOffsets);
  const chunkWidth = tiled ? value(TAG.tileWidth) : width;
  // Rows per strip: absent or larger than the image means one strip.
  const chunkHeight = tiled ? value(TAG.tileLength) : Math.min(value(TAG.rowsPerStrip, height), height);
  if (chunkWidth === 0 || chunkHeight === 0) throw corrupt(`tiles or strips of ${chunkWidth}x${chunkHeight}`);
  // The specification's rule, which also keeps every tile's left edge on a byte boundary.
  if (tiled && (chunkWidth % 16 !== 0 || chunkHeight % 16 !== 0)) {
    throw corrupt(`tiles of ${chunkWidth}x${chunkHeight}, not multiples of 16`);
  }
  const chunksAcross = Math.ceil(width / chunkWidth);
  const chunksDown = Math.ceil(height / chunkHeight);
  const offsets = fields.get(tiled ? TAG.tileOffsets : TAG.stripOffsets);
  const byteCounts = fields.get(tiled ? TAG.tileByteCounts : TAG.stripByteCounts);
  const chunks = chunksAcross * chunksDown;
  if (!offsets || !byteCounts || offsets.count < chunks || byteCounts.count < chunks) {
    throw corrupt(`the first page needs ${chunks} ${tiled ? 'tiles' : 'strips'}; its tables list fewer`);
  }
  // Every chunk inside the file, and all of them together no larger than it: a table pointing many
  // chunks at the same bytes would make the decompressors read them over and over.
  let total = 0;
  for (let i = 0; i < chunks; i++) {
    const start = offsets.get(i);
    const length = byteCounts.get(i);
    if (start + length > bytes.length) throw corrupt(`${tiled ? 'tile' : 'strip'} ${i} ends past the end of the file`);
    total += length;
  }
  if (total > bytes.length) {
    throw new ImageTooLargeError(
      'excess-compressed-data',
      `the first page's ${chunks} ${tiled ? 'tiles' : 'strips'} add up to ${total} bytes, more than the file's ${bytes.length}`,
    );
  }

  if (jpeg)
    checkJpegChunks(bytes, { chunkWidth, chunkHeight, samplesPerPixel, offsets, byteCounts, jpegTables }, chunks);

  return {
    littleEndian,
    width,
    height,
    bitsPerSample,
    samplesPerPixel,
    photometric,
    compression,
    predictor,
    alpha,
    orientation: orientation >= 1 && orientation <= 8 ? orientation : 1,
    ...(colorMap ? { colorMap } : {}),
    chunkWidth,
    chunkHeight,
    chunksAcross,
    chunksDown,
    offsets,
    byteCounts,
    ...(jpegTables ? { jpegTables } : {}),
    ...(iccProfile ? { iccProfile } : {}),
  };
}

type JpegChunks = Pick<
  TiffPage,
  'chunkWidth' | 'chunkHeight' | 'samplesPerPixel' | 'offsets' | 'byteCounts' | 'jpegTables'
>;

/** Strip or tile `index` as a whole JPEG: the shared tables (without their EOI), then its own data (without its SOI). */
function jpegChunk(bytes: Buffer, page: JpegChunks, index: number): Buffer {
  const start = page.offsets.get(index);
  const chunk = bytes.subarray(start, start + page.byteCounts.get(index));
  if (!page.jpegTables || page.jpegTables.length < 4) return chunk;
  return Buffer.concat([page.jpegTables.subarray(0, -2), chunk.subarray(2)]);
}

/** Every strip or tile must be a JPEG no larger than its place in the page, with a bounded number of scans. */
function checkJpegChunks(bytes: Buffer, page: JpegChunks, chunks: number): void {
  for (let i = 0; i < chunks; i++) {
    const frame = readJpegStructure(jpegChunk(bytes, page, i));
    if (frame.width > page.chunkWidth || frame.height > page.chunkHeight) {
      throw new ImageTooLargeError(
        'frame-outside-canvas',
        `JPEG ${i} of the tiff is ${frame.width}x${frame.height}, larger than its ${page.chunkWidth}x${page.chunkHeight} strip or tile`,
      );
    }
    if (frame.precision !== 8 || frame.components !== page.samplesPerPixel) {
      throw unsupported(
        `JPEG data of ${frame.components} x ${frame.precision} bits in a page of ${page.samplesPerPixel} samples`,
      );
    }
  }
}

/** A JPEG-compressed page: each strip or tile decoded by MozJPEG and placed in the page. */
async function decodeJpegPage(bytes: Buffer, page: TiffPage): Promise<Buffer> {
  const rgba = Buffer.alloc(page.width * page.height * 4);
  for (let down = 0; down < page.chunksDown; down++) {
    for (let across = 0; across < page.chunksAcross; across++) {
      let chunk;
      try {
        chunk = await decodeJpeg(jpegChunk(bytes, page, down * page.chunksAcross + across));
      } catch (error) {
        if (!(error instanceof JpegDecodeError)) throw error;
        throw corrupt(`its JPEG data: ${error.message}`);
      }
      const left = across * page.chunkWidth;
      const top = down * page.chunkHeight;
      const rowBytes = Math.min(chunk.width, page.width - left) * 4;
      for (let row = 0; row < chunk.height && top + row < page.height; row++) {
        const from = row * chunk.width * 4;
        chunk.data.copy(rgba, ((top + row) * page.width + left) * 4, from, from + rowBytes);
      }
    }
  }
  return rgba;
}

/** TIFF LZW (MSB first, 9 to 12 bit codes, code width grows one code early), into `out` until it is full. */
export function decodeLzw(source: Uint8Array, out: Uint8Array): void {
  const prefix = new Int16Array(4096);
  const suffix = new Uint8Array(4096);
  const first = new Uint8Array(4096);
  const length = new Uint16Array(4096);
  for (let code = 0; code < 256; code++) {
    prefix[code] = -1;
    suffix[code] = code;
    first[code] = code;
    length[code] = 1;
  }
  const bitsAvailable = source.length * 8;
  let bit = 0;
  let width = 9;
  let next = 258;
  let previous = -1;
  let written = 0;
  while (written < out.length && bit + width <= bitsAvailable) {
    const at = bit >>> 3;
    const window = (source[at]! << 16) | ((source[at + 1] ?? 0) << 8) | (source[at + 2] ?? 0);
    const code = (window >>> (24 - (bit & 7) - width)) & ((1 << width) - 1);
    bit += width;
    if (code === 257) return; // end of information
    if (code === 256) {
      width = 9;
      next = 258;
      previous = -1;
      continue;
    }
    if (previous === -1) {
      if (code > 255) throw corrupt('LZW data starts with an undefined code');
      out[written++] = code;
      previous = code;
      continue;
    }
    // A code one past the table is the string being defined: the previous one plus its own first byte.
    if (code > next || (code === next && next === 4096)) throw corrupt(`LZW code ${code} before it is defined`);
    if (next < 4096) {
      prefix[next] = previous;
      suffix[next] = code === next ? first[previous]! : first[code]!;
      first[next] = first[previous]!;
      length[next] = length[previous]! + 1;
      next++;
      if (next === (1 << width) - 1 && width < 12) width++;
    }
    // Written back to front; past the end of `out` nothing is written, and decoding stops.
    const size = length[code]!;
    let position = written + size - 1;
    for (let node = code; node !== -1; node = prefix[node]!, position--) {
      if (position < out.length) out[position] = suffix[node]!;
    }
    written += size;
    previous = code;
  }
}

/** PackBits (Macintosh RLE), into `out` until it is full. */
export function decodePackBits(source: Uint8Array, out: Uint8Array): void {
  let read = 0;
  let written = 0;
  while (read < source.length && written < out.length) {
    const header = source[read++]!;
    if (header < 128) {
      const count = Math.min(header + 1, source.length - read, out.length - written);
      out.set(source.subarray(read, read + count), written);
      read += header + 1;
      written += count;
    } else if (header > 128) {
      const count = Math.min(257 - header, out.length - written);
      if (read < source.length) out.fill(source[read]!, written, written + count);
      read++;
      written += count;
    } // 128: no operation
  }
}

/** Decompresses one strip or tile into `out` (zero-filled beforehand), never past its end. */
function decompress(page: TiffPage, source: Buffer, out: Uint8Array): void {
  switch (page.compression) {
    case COMPRESSION.none:
      out.set(source.subarray(0, out.length));
      return;
    case COMPRESSION.packBits:
      decodePackBits(source, out);
      return;
    case COMPRESSION.lzw:
      decodeLzw(source, out);
      return;
    default: {
      let inflated: Buffer;
      try {
        // A truncated stream gives what it holds, as other readers show it.
        inflated = inflateSync(source, { maxOutputLength: out.length, finishFlush: constants.Z_SYNC_FLUSH });
      } catch (error) {
        if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
          throw new ImageTooLargeError(
            'inflated-size-exceeded',
            `a Deflate ${page.chunkWidth}x${page.chunkHeight} strip or tile of the tiff inflates to more than its ${out.length} bytes`,
          );
        }
        throw corrupt(`Deflate data: ${error instanceof Error ? error.message : String(error)}`);
      }
      out.set(inflated);
    }
  }
}

/** Undoes horizontal differencing (predictor 2) on whole rows of `chunk`; 16-bit samples little-endian. */
function undoPredictor(page: TiffPage, chunk: Uint8Array, stride: number): void {
  const samples = page.samplesPerPixel;
  for (let row = 0; row + stride <= chunk.length; row += stride) {
    if (page.bitsPerSample === 8) {
      for (let i = row + samples; i < row + stride; i++) chunk[i] = (chunk[i]! + chunk[i - samples]!) & 0xff;
    } else {
      for (let i = row + 2 * samples; i + 1 < row + stride; i += 2) {
        const sum = ((chunk[i + 1]! << 8) | chunk[i]!) + ((chunk[i - 2 * samples + 1]! << 8) | chunk[i - 2 * samples]!);
        chunk[i] = sum & 0xff;
        chunk[i + 1] = (sum >> 8) & 0xff;
      }
    }
  }
}

/** The first page's samples, row by row (rows padded to whole bytes), 16-bit samples little-endian. */
function readSamples(bytes: Buffer, page: TiffPage): Uint8Array {
  const stride = rowBytes(page, page.width);
  const samples = new Uint8Array(stride * page.height);
  const chunkStride = rowBytes(page, page.chunkWidth);
  const chunk = new Uint8Array(chunkStride * page.chunkHeight);
  const bitsPerPixel = page.samplesPerPixel * page.bitsPerSample;
  for (let down = 0; down < page.chunksDown; down++) {
    for (let across = 0; across < page.chunksAcross; across++) {
      const index = down * page.chunksAcross + across;
      const start = page.offsets.get(index);
      chunk.fill(0);
      decompress(page, bytes.subarray(start, start + page.byteCounts.get(index)), chunk);
      if (page.bitsPerSample === 16 && !page.littleEndian) {
        for (let i = 0; i + 1 < chunk.length; i += 2) [chunk[i], chunk[i + 1]] = [chunk[i + 1]!, chunk[i]!];
      }
      if (page.predictor === 2) undoPredictor(page, chunk, chunkStride);
      // Tiles are multiples of 16 pixels wide, so a tile's left edge is on a byte boundary.
      const left = (across * page.chunkWidth * bitsPerPixel) / 8;
      const copyBytes = Math.min(chunkStride, stride - left);
      const top = down * page.chunkHeight;
      for (let row = 0; row < page.chunkHeight && top + row < page.height; row++) {
        samples.set(chunk.subarray(row * chunkStride, row * chunkStride + copyBytes), (top + row) * stride + left);
      }
    }
  }
  return samples;
}

/** Straight alpha from premultiplied 8-bit RGBA. */
function unpremultiply(rgba: Uint8Array): void {
  for (let at = 0; at < rgba.length; at += 4) {
    const alpha = rgba[at + 3]!;
    if (alpha === 0 || alpha === 255) continue;
    for (let c = at; c < at + 3; c++) rgba[c] = Math.min(255, Math.round((rgba[c]! * 255) / alpha));
  }
}

/** The page's ICC profile, copied out of the file's buffer. */
function iccOf(page: TiffPage): { iccProfile?: Uint8Array } {
  return page.iccProfile ? { iccProfile: new Uint8Array(page.iccProfile) } : {};
}

export const tiffFormat: ImageFormat = {
  name: 'tiff',

  sniff: SIGNATURES.tiff,

  inspect(bytes: Buffer): DeclaredImage {
    const page = readFirstPage(bytes);
    if (page.compression === COMPRESSION.jpeg) {
      return {
        format: 'tiff',
        width: page.width,
        height: page.height,
        bitsPerSample: 8,
        channels: page.samplesPerPixel,
        // One strip or tile at a time: MozJPEG's component planes (16-bit coefficients if progressive)
        // and its RGBA output.
        workingBytes: page.chunkWidth * page.chunkHeight * (2 * page.samplesPerPixel + 4),
      };
    }
    return {
      format: 'tiff',
      width: page.width,
      height: page.height,
      bitsPerSample: page.bitsPerSample,
      channels: page.samplesPerPixel,
      // All the samples and one strip or tile being decompressed (UTIF's RGBA is the result itself).
      workingBytes: rowBytes(page, page.width) * page.height + rowBytes(page, page.chunkWidth) * page.chunkHeight,
    };
  },

  async decode(bytes: Buffer): Promise<DecodedImage> {
    const page = readFirstPage(bytes);
    if (page.compression === COMPRESSION.jpeg) {
      const data = await decodeJpegPage(bytes, page);
      return {
        bitmap: { data, width: page.width, height: page.height },
        orientation: page.orientation,
        hasAlpha: false,
        ...iccOf(page),
      };
    }
    const samples = readSamples(bytes, page);
    const loaded: typeof import('utif2') & { default?: typeof import('utif2') } = await import('utif2');
    // Loaded as an ES module (tsx), UTIF's CommonJS exports are only under `default`.
    const UTIF = loaded.default ?? loaded;
    // The directory UTIF.toRGBA8 reads: the tags of IFD0 that describe the samples, nothing else.
    const ifd: IFD = {
      width: page.width,
      height: page.height,
      data: samples,
      t262: [page.photometric],
      t258: Array<number>(page.samplesPerPixel).fill(page.bitsPerSample),
      t277: [page.samplesPerPixel],
      ...(page.colorMap ? { t320: [...page.colorMap] } : {}),
    };
    let rgba: Uint8Array;
    try {
      rgba = UTIF.toRGBA8(ifd);
    } catch (error) {
      throw corrupt(`converting its samples: ${error instanceof Error ? error.message : String(error)}`);
    }
    const data = Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength);
    if (page.photometric === PHOTOMETRIC.blackIsZero && page.samplesPerPixel === 2) {
      // UTIF drops the alpha of grey + alpha.
      for (let i = 0; i < page.width * page.height; i++) data[i * 4 + 3] = page.alpha ? samples[i * 2 + 1]! : 255;
    } else if (!page.alpha) {
      // A fourth sample that is not declared as alpha is not shown as alpha.
      for (let at = 3; at < data.length; at += 4) data[at] = 255;
    }
    if (page.alpha === 1) unpremultiply(data);
    let hasAlpha = false;
    if (page.alpha) for (let at = 3; at < data.length && !hasAlpha; at += 4) hasAlpha = data[at]! < 255;
    return {
      bitmap: { data, width: page.width, height: page.height },
      orientation: page.orientation,
      hasAlpha,
      ...iccOf(page),
    };
  },
};
