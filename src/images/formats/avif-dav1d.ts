import { decodeAv1Frame, type I420Frame } from '../codecs/dav1d';
import type { RgbaBitmap } from '../types';
import { readAv1SequenceHeader } from './av1-sequence-header';
import { ContainerError, itemData, readContainer, type HeifContainer, type HeifImageDescription } from './isobmff';

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

/** The item's data, whole; undefined where it cannot be located (libavif then says what is wrong). */
function primaryItemData(bytes: Buffer, container: HeifContainer, id: number): Buffer | undefined {
  try {
    return itemData(bytes, container, id, bytes.length);
  } catch (error) {
    if (error instanceof ContainerError) return undefined;
    throw error;
  }
}

/** The sequence header, or undefined where it cannot be read (left to libavif). */
function readSequenceHeaderQuietly(obus: Uint8Array) {
  try {
    return readAv1SequenceHeader(obus);
  } catch {
    return undefined;
  }
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
  const obus = primaryItemData(bytes, container, id);
  const sequence = obus && readSequenceHeaderQuietly(obus);
  const colour = sequence?.colour;
  if (!obus || !sequence || !colour) return undefined;
  if (sequence.profile !== 0 || colour.bitDepth !== 8 || colour.monochrome) return undefined;
  if (colour.subsamplingX !== 1 || colour.subsamplingY !== 1) return undefined;
  const matrix = nclxOf(bytes, container, id)?.matrixCoefficients ?? colour.matrixCoefficients;
  const coefficients = KR_KB[matrix];
  if (!coefficients) return undefined;
  const [kr, kb] = coefficients;
  return { obus, width: image.width, height: image.height, factor, kr, kb, fullRange: colour.fullRange };
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
