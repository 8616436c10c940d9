import { decodeAv1Frame, type I420Frame } from '../codecs/dav1d';
import type { RgbaBitmap } from '../types';
import { readContainer, type HeifContainer, type HeifImageDescription } from './isobmff';

/**
 * AVIF's fast path: an 8-bit 4:2:0 AVIF of even size (what phones, sharp, libavif and squoosh write by
 * default) is decoded by dav1d, about 2.5x faster than libaom, to its YUV planes. Shrink-on-load: when
 * the largest thumbnail needs at most half the image each way, the planes are averaged down and
 * converted to RGBA at the reduced size: luma over blocks of `factor` x `factor` samples, chroma over
 * blocks half as wide, so the conversion works on a quarter of the pixels or fewer (what libjpeg's DCT
 * scaling does for JPEG). The conversion is affine in Y, Cb and Cr, so averaging before it equals
 * averaging after it but for clipping. Otherwise the frame is converted at full size with libavif's
 * bilinear chroma upsampling (the same pixels as libavif's). Everything else (other depths, 4:4:4,
 * 4:2:2, monochrome, alpha, grids, layered images, odd sizes, matrix coefficients libavif converts
 * otherwise, and any file dav1d refuses or decodes to another size) goes through libavif as before.
 *
 * Colour follows libavif (what the libavif path returns): the matrix coefficients of the nclx colr box,
 * else of the AV1 sequence header (2, unspecified, and the reserved 3 as BT.601), and the range of the
 * sequence header (libavif takes it from the codec's frame). Colour primaries and transfer are left as
 * they are, as libavif leaves them; an ICC profile is applied by the render step either way.
 */

/** Matrix coefficients (ITU-T H.273) libavif converts with a Kr/Kb pair, and the pair. */
const KR_KB: Readonly<Record<number, readonly [number, number]>> = {
  1: [0.2126, 0.0722], // BT.709
  2: [0.299, 0.114], // unspecified: libavif uses BT.601
  3: [0.299, 0.114], // reserved: likewise
  4: [0.3, 0.11], // FCC
  5: [0.299, 0.114], // BT.470BG
  6: [0.299, 0.114], // BT.601
  7: [0.212, 0.087], // SMPTE 240M
  9: [0.2627, 0.0593], // BT.2020 non-constant luminance
};

/** Item properties that make an AV1 item layered (several spatial layers in one item): left to libavif. */
const LAYER_PROPERTIES = new Set(['a1lx', 'a1op', 'lsel']);

/** The colour configuration of an AV1 sequence header (AV1 specification 5.5.1 and 5.5.2). */
export interface Av1ColourConfig {
  readonly profile: number;
  readonly bitDepth: number;
  readonly monochrome: boolean;
  readonly subsamplingX: number;
  readonly subsamplingY: number;
  readonly matrixCoefficients: number;
  readonly fullRange: boolean;
  /** Bit positions, from the start of the data read, of color_range and matrix_coefficients (for tests). */
  readonly rangeBit?: number;
  readonly matrixBit?: number;
}

class Bits {
  at = 0;

  constructor(private readonly data: Uint8Array) {}

  f(count: number): number {
    let value = 0;
    for (let i = 0; i < count; i++) {
      const byte = this.data[this.at >> 3];
      if (byte === undefined) throw new RangeError('the AV1 sequence header ends early');
      value = value * 2 + ((byte >> (7 - (this.at & 7))) & 1);
      this.at++;
    }
    return value;
  }

  uvlc(): void {
    let zeros = 0;
    while (this.f(1) === 0) if (++zeros >= 32) return;
    this.f(zeros);
  }
}

/** Parses a sequence header OBU's payload (starting at bit `start` of `data`) up to its color_config. */
function colourConfig(data: Uint8Array, start: number): Av1ColourConfig {
  const bits = new Bits(data);
  bits.at = start;
  const profile = bits.f(3);
  bits.f(1); // still_picture
  const reduced = bits.f(1);
  if (reduced) {
    bits.f(5); // seq_level_idx[0]
  } else {
    let decoderModelInfo = 0;
    let bufferDelayLength = 0;
    if (bits.f(1)) {
      // timing_info
      bits.f(32);
      bits.f(32);
      if (bits.f(1)) bits.uvlc();
      decoderModelInfo = bits.f(1);
      if (decoderModelInfo) {
        bufferDelayLength = bits.f(5) + 1;
        bits.f(32);
        bits.f(5);
        bits.f(5);
      }
    }
    const initialDisplayDelay = bits.f(1);
    const operatingPoints = bits.f(5) + 1;
    for (let point = 0; point < operatingPoints; point++) {
      bits.f(12); // operating_point_idc
      if (bits.f(5) > 7) bits.f(1); // seq_level_idx, seq_tier
      if (decoderModelInfo && bits.f(1)) {
        bits.f(bufferDelayLength);
        bits.f(bufferDelayLength);
        bits.f(1);
      }
      if (initialDisplayDelay && bits.f(1)) bits.f(4);
    }
  }
  const widthBits = bits.f(4) + 1;
  const heightBits = bits.f(4) + 1;
  bits.f(widthBits);
  bits.f(heightBits);
  if (!reduced && bits.f(1)) {
    // frame_id_numbers_present_flag: delta_frame_id_length_minus_2, additional_frame_id_length_minus_1
    bits.f(4);
    bits.f(3);
  }
  bits.f(3); // use_128x128_superblock, enable_filter_intra, enable_intra_edge_filter
  if (!reduced) {
    bits.f(4); // enable_interintra_compound, enable_masked_compound, enable_warped_motion, enable_dual_filter
    const orderHint = bits.f(1);
    if (orderHint) bits.f(2); // enable_jnt_comp, enable_ref_frame_mvs
    const forceScreenContentTools = bits.f(1) ? 2 : bits.f(1); // seq_choose_screen_content_tools
    if (forceScreenContentTools > 0 && !bits.f(1)) bits.f(1); // seq_choose_integer_mv, seq_force_integer_mv
    if (orderHint) bits.f(3); // order_hint_bits_minus_1
  }
  bits.f(3); // enable_superres, enable_cdef, enable_restoration
  // color_config
  const highBitDepth = bits.f(1);
  const bitDepth = profile === 2 && highBitDepth ? (bits.f(1) ? 12 : 10) : highBitDepth ? 10 : 8;
  const monochrome = profile === 1 ? false : bits.f(1) === 1;
  let primaries = 2;
  let transfer = 2;
  let matrixCoefficients = 2;
  let matrixBit: number | undefined;
  if (bits.f(1)) {
    primaries = bits.f(8);
    transfer = bits.f(8);
    matrixBit = bits.at;
    matrixCoefficients = bits.f(8);
  }
  const common = {
    profile,
    bitDepth,
    monochrome,
    matrixCoefficients,
    ...(matrixBit === undefined ? {} : { matrixBit }),
  };
  if (monochrome) {
    const rangeBit = bits.at;
    return { ...common, fullRange: bits.f(1) === 1, rangeBit, subsamplingX: 1, subsamplingY: 1 };
  }
  if (primaries === 1 && transfer === 13 && matrixCoefficients === 0) {
    return { ...common, fullRange: true, subsamplingX: 0, subsamplingY: 0 }; // sRGB, 4:4:4
  }
  const rangeBit = bits.at;
  const fullRange = bits.f(1) === 1;
  let subsamplingX = 1;
  let subsamplingY = 1;
  if (profile === 1) {
    subsamplingX = subsamplingY = 0;
  } else if (profile === 2) {
    if (bitDepth === 12) {
      subsamplingX = bits.f(1);
      subsamplingY = subsamplingX ? bits.f(1) : 0;
    } else {
      subsamplingY = 0;
    }
  }
  return { ...common, fullRange, rangeBit, subsamplingX, subsamplingY };
}

/**
 * The colour configuration of the first sequence header OBU in `obus` (low-overhead format, as AVIF
 * items hold them), or undefined if there is none or it cannot be read.
 */
export function readSequenceHeader(obus: Uint8Array): Av1ColourConfig | undefined {
  let at = 0;
  while (at < obus.length) {
    const header = obus[at]!;
    const type = (header >> 3) & 0xf;
    at += header & 0x04 ? 2 : 1; // extension byte
    let size = obus.length - at;
    if (header & 0x02) {
      size = 0;
      for (let i = 0; i < 8; i++) {
        const byte = obus[at++];
        if (byte === undefined) return undefined;
        size += (byte & 0x7f) * 2 ** (7 * i);
        if (!(byte & 0x80)) break;
      }
    }
    if (type === 1) {
      try {
        return colourConfig(obus.subarray(0, Math.min(obus.length, at + size)), at * 8);
      } catch (error) {
        if (error instanceof RangeError) return undefined;
        throw error;
      }
    }
    at += size;
  }
  return undefined;
}

/** The item's data, joined from its extents; undefined where it cannot be located. */
function itemData(bytes: Buffer, container: HeifContainer, id: number): Buffer | undefined {
  const location = container.locations.get(id);
  if (!location || location.extents.length === 0) return undefined;
  let source: Buffer;
  if (location.constructionMethod === 0) source = bytes;
  else if (location.constructionMethod === 1 && container.idat) {
    source = bytes.subarray(container.idat.body, container.idat.end);
  } else return undefined;
  const parts: Buffer[] = [];
  for (const { offset, length } of location.extents) {
    const start = location.baseOffset + offset;
    const end = length === 0 ? source.length : start + length;
    if (start > source.length || end > source.length) return undefined;
    parts.push(source.subarray(start, end));
  }
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

/** Matrix coefficients and range of the item's nclx colr box, if it has one. */
function nclxOf(bytes: Buffer, container: HeifContainer, id: number) {
  for (const { type, box } of container.properties.get(id) ?? []) {
    if (type !== 'colr' || box.end - box.body < 11 || bytes.toString('latin1', box.body, box.body + 4) !== 'nclx') {
      continue;
    }
    return { matrixCoefficients: bytes.readUInt16BE(box.body + 8) };
  }
  return undefined;
}

export interface Dav1dPlan {
  readonly obus: Buffer;
  readonly width: number;
  readonly height: number;
  /** Luma samples averaged per output pixel each way (1: full size; else even); chroma, half as many. */
  readonly factor: number;
  readonly kr: number;
  readonly kb: number;
  readonly fullRange: boolean;
}

/**
 * The largest even factor by which a `width` x `height` image can be reduced (sizes rounded up) and
 * still be at least `atLeast`; 1 if it cannot be halved.
 */
export function reductionFactor(width: number, height: number, atLeast: { width: number; height: number }): number {
  let factor = 1;
  for (
    let next = 2;
    Math.ceil(width / next) >= atLeast.width && Math.ceil(height / next) >= atLeast.height;
    next += 2
  ) {
    factor = next;
    if (next >= Math.max(width, height)) break;
  }
  return factor;
}

/**
 * Whether the primary image can take the fast path, and how: undefined if not (libavif decodes it).
 * Reads the container again (cached per buffer) for what describePrimaryImage does not report.
 */
export function planDav1dDecode(
  bytes: Buffer,
  image: HeifImageDescription,
  atLeast: { width: number; height: number } | undefined,
): Dav1dPlan | undefined {
  if (image.tiles !== 1 || image.hasAlpha || image.colourChannels !== 3 || image.bitDepth !== 8) {
    return undefined;
  }
  if (image.codedType !== 'av01' || image.width % 2 !== 0 || image.height % 2 !== 0) return undefined;
  const factor = atLeast ? reductionFactor(image.width, image.height, atLeast) : 1;
  const container = readContainer(bytes);
  const id = container.primaryId;
  if (container.itemTypes.get(id) !== 'av01') return undefined;
  if ((container.properties.get(id) ?? []).some(({ type }) => LAYER_PROPERTIES.has(type))) return undefined;
  const obus = itemData(bytes, container, id);
  const sequence = obus && readSequenceHeader(obus);
  if (!obus || !sequence) return undefined;
  if (sequence.profile !== 0 || sequence.bitDepth !== 8 || sequence.monochrome) return undefined;
  if (sequence.subsamplingX !== 1 || sequence.subsamplingY !== 1) return undefined;
  const matrix = nclxOf(bytes, container, id)?.matrixCoefficients ?? sequence.matrixCoefficients;
  const coefficients = KR_KB[matrix];
  if (!coefficients) return undefined;
  const [kr, kb] = coefficients;
  return { obus, width: image.width, height: image.height, factor, kr, kb, fullRange: sequence.fullRange };
}

/** libavif's conversion (reformat.c) with 8-bit samples and output: multipliers of Y - bias, Cb and Cr. */
function coefficients({ kr, kb, fullRange }: { kr: number; kb: number; fullRange: boolean }) {
  const kg = 1 - kr - kb;
  const cScale = 255 / (fullRange ? 255 : 224);
  return {
    yBias: fullRange ? 0 : 16,
    yScale: 255 / (fullRange ? 255 : 219),
    crToR: 2 * (1 - kr) * cScale,
    cbToB: 2 * (1 - kb) * cScale,
    cbToG: ((2 * kb * (1 - kb)) / kg) * cScale,
    crToG: ((2 * kr * (1 - kr)) / kg) * cScale,
  };
}

/**
 * Averages an even-sized 4:2:0 frame down by `factor` (even) and converts it to RGBA (libavif's
 * floating-point formulas; opaque).
 */
export function shrinkI420ToRgba(
  frame: I420Frame,
  factor: number,
  colour: { kr: number; kb: number; fullRange: boolean },
): RgbaBitmap {
  const { width, height, y: lumaPlane, u: cbPlane, v: crPlane } = frame;
  const chromaFactor = factor >> 1;
  const chromaWidth = width >> 1;
  const chromaHeight = height >> 1;
  const outWidth = Math.ceil(width / factor);
  const outHeight = Math.ceil(height / factor);

  const { crToR, cbToB, cbToG, crToG, yScale, yBias } = coefficients(colour);

  // Output column of each source column, and how many source columns each output column averages.
  const lumaColumn = new Int32Array(width);
  const chromaColumn = new Int32Array(chromaWidth);
  const lumaCount = new Int32Array(outWidth);
  const chromaCount = new Int32Array(outWidth);
  for (let x = 0; x < width; x++) lumaCount[(lumaColumn[x] = (x / factor) | 0)]!++;
  for (let x = 0; x < chromaWidth; x++) chromaCount[(chromaColumn[x] = (x / chromaFactor) | 0)]!++;

  const data = Buffer.allocUnsafe(outWidth * outHeight * 4);
  const out = new Uint8ClampedArray(data.buffer, data.byteOffset, data.length);
  if (factor === 2) {
    // The common case, without partial blocks (even sizes): each pixel is 2x2 luma and one chroma sample.
    const lumaScale = yScale / 4;
    const lumaBias = yBias * yScale;
    let o = 0;
    for (let row = 0; row < outHeight; row++) {
      let top = 2 * row * width;
      let bottom = top + width;
      let chroma = row * chromaWidth;
      for (let x = 0; x < outWidth; x++) {
        const luma =
          (lumaPlane[top]! + lumaPlane[top + 1]! + lumaPlane[bottom]! + lumaPlane[bottom + 1]!) * lumaScale - lumaBias;
        const cb = cbPlane[chroma]! - 128;
        const cr = crPlane[chroma]! - 128;
        out[o] = luma + crToR * cr;
        out[o + 1] = luma - cbToG * cb - crToG * cr;
        out[o + 2] = luma + cbToB * cb;
        out[o + 3] = 255;
        o += 4;
        top += 2;
        bottom += 2;
        chroma++;
      }
    }
    return { data, width: outWidth, height: outHeight };
  }
  const sumY = new Int32Array(outWidth);
  const sumU = new Int32Array(outWidth);
  const sumV = new Int32Array(outWidth);
  let o = 0;
  for (let row = 0; row < outHeight; row++) {
    sumY.fill(0);
    sumU.fill(0);
    sumV.fill(0);
    const lumaEnd = Math.min((row + 1) * factor, height);
    for (let line = row * factor; line < lumaEnd; line++) {
      const base = line * width;
      for (let x = 0; x < width; x++) sumY[lumaColumn[x]!]! += lumaPlane[base + x]!;
    }
    const chromaEnd = Math.min((row + 1) * chromaFactor, chromaHeight);
    for (let line = row * chromaFactor; line < chromaEnd; line++) {
      const base = line * chromaWidth;
      for (let x = 0; x < chromaWidth; x++) {
        const column = chromaColumn[x]!;
        sumU[column]! += cbPlane[base + x]!;
        sumV[column]! += crPlane[base + x]!;
      }
    }
    const lumaRows = lumaEnd - row * factor;
    const chromaRows = chromaEnd - row * chromaFactor;
    for (let x = 0; x < outWidth; x++) {
      const luma = (sumY[x]! / (lumaCount[x]! * lumaRows) - yBias) * yScale;
      const chromaSamples = chromaCount[x]! * chromaRows;
      const cb = sumU[x]! / chromaSamples - 128;
      const cr = sumV[x]! / chromaSamples - 128;
      out[o] = luma + crToR * cr;
      out[o + 1] = luma - cbToG * cb - crToG * cr;
      out[o + 2] = luma + cbToB * cb;
      out[o + 3] = 255;
      o += 4;
    }
  }
  return { data, width: outWidth, height: outHeight };
}

/**
 * Converts an even-sized 4:2:0 frame to RGBA at full size, chroma upsampled bilinearly (each chroma
 * sample centred between its two luma columns and rows: weights 3/4 and 1/4 each way, the edges
 * repeated), as libavif's built-in conversion does; opaque.
 */
export function convertI420ToRgba(
  frame: I420Frame,
  colour: { kr: number; kb: number; fullRange: boolean },
): RgbaBitmap {
  const { width, height, y: lumaPlane, u: cbPlane, v: crPlane } = frame;
  const chromaWidth = width >> 1;
  const chromaHeight = height >> 1;
  const { crToR, cbToB, cbToG, crToG, yScale, yBias } = coefficients(colour);
  const lumaBias = yBias * yScale;
  const data = Buffer.allocUnsafe(width * height * 4);
  const out = new Uint8ClampedArray(data.buffer, data.byteOffset, data.length);
  // One row's chroma, already blended vertically, with the edge sample repeated at both ends.
  const rowCb = new Float64Array(chromaWidth + 2);
  const rowCr = new Float64Array(chromaWidth + 2);
  let o = 0;
  for (let row = 0; row < height; row++) {
    const near = (row >> 1) * chromaWidth;
    const other = row & 1 ? Math.min((row >> 1) + 1, chromaHeight - 1) : Math.max((row >> 1) - 1, 0);
    const far = other * chromaWidth;
    for (let x = 0; x < chromaWidth; x++) {
      rowCb[x + 1] = 0.75 * cbPlane[near + x]! + 0.25 * cbPlane[far + x]! - 128;
      rowCr[x + 1] = 0.75 * crPlane[near + x]! + 0.25 * crPlane[far + x]! - 128;
    }
    rowCb[0] = rowCb[1]!;
    rowCr[0] = rowCr[1]!;
    rowCb[chromaWidth + 1] = rowCb[chromaWidth]!;
    rowCr[chromaWidth + 1] = rowCr[chromaWidth]!;
    let luma = row * width;
    for (let x = 0; x < chromaWidth; x++) {
      // Luma columns 2x (chroma x and x - 1) and 2x + 1 (chroma x and x + 1); rowCb is offset by one.
      for (let side = 0; side < 2; side++) {
        const neighbour = x + 2 * side;
        const cb = 0.75 * rowCb[x + 1]! + 0.25 * rowCb[neighbour]!;
        const cr = 0.75 * rowCr[x + 1]! + 0.25 * rowCr[neighbour]!;
        const y = lumaPlane[luma++]! * yScale - lumaBias;
        out[o] = y + crToR * cr;
        out[o + 1] = y - cbToG * cb - crToG * cr;
        out[o + 2] = y + cbToB * cb;
        out[o + 3] = 255;
        o += 4;
      }
    }
  }
  return { data, width, height };
}

/** Decodes with dav1d and converts at the reduced size; throws whatever dav1d throws. */
export async function decodeWithDav1d(plan: Dav1dPlan): Promise<RgbaBitmap | undefined> {
  const frame = await decodeAv1Frame(plan.obus);
  // A frame of another size than the container declares is libavif's to refuse (it says so).
  if (frame.width !== plan.width || frame.height !== plan.height) return undefined;
  return plan.factor === 1 ? convertI420ToRgba(frame, plan) : shrinkI420ToRgba(frame, plan.factor, plan);
}
