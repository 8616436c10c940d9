import { compilePackagedWasm } from '../codecs/wasm';
import { ImageTooLargeError, UnreadableImageError } from '../../errors';
import type { DeclaredImage, DecodedImage, ImageFormat, RgbaBitmap } from '../types';
import { oncePerFile } from './per-file';
import { SIGNATURES } from './signatures';

/**
 * WebP: lossy (VP8), lossless (VP8L), alpha (ALPH) and animated files through libwebp compiled to
 * WebAssembly (@jsquash/webp). libwebp's simple decoder refuses animations, so for an animated file
 * the first frame's chunks are copied into a still WebP, decoded alone, and placed at its offset on a
 * transparent canvas of the declared canvas size (as libwebp's animation decoder shows frame one: it
 * ignores the background colour hint). EXIF orientation in a WebP is ignored, as browsers do.
 */

/** A chunk of the RIFF container: its four-character code and its payload (without padding). */
interface Chunk {
  readonly type: string;
  readonly data: Buffer;
}

/** The first frame of an animation, as its ANMF chunk declares it. */
interface Frame {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  /** The frame's ALPH (optional) and VP8/VP8L chunks. */
  readonly chunks: readonly Chunk[];
}

interface WebpStructure {
  /** The canvas: the image's size, or an animation's. */
  readonly width: number;
  readonly height: number;
  readonly lossless: boolean;
  readonly hasAlpha: boolean;
  /** The first frame of an animation; undefined for a still image. */
  readonly frame?: Frame;
  readonly iccProfile?: Buffer;
}

const VP8X_ANIMATION = 0x02;
const VP8X_ICC = 0x20;

function corrupt(reason: string): UnreadableImageError {
  return new UnreadableImageError('corrupt-image', `the webp data cannot be read: ${reason}`);
}

/** The chunks between `start` and `end`, each checked to lie within them. */
function chunksIn(bytes: Buffer, start: number, end: number): Chunk[] {
  const chunks: Chunk[] = [];
  let at = start;
  while (at + 8 <= end) {
    const type = bytes.toString('latin1', at, at + 4);
    const size = bytes.readUInt32LE(at + 4);
    if (at + 8 + size > end) throw corrupt(`the ${type} chunk runs past the end of its container`);
    chunks.push({ type, data: bytes.subarray(at + 8, at + 8 + size) });
    at += 8 + size + (size & 1); // payloads are padded to an even length
  }
  return chunks;
}

const u24 = (data: Buffer, at: number) => data.readUIntLE(at, 3);

/** Size and alpha as a VP8 (lossy) or VP8L (lossless) bitstream's own header declares them. */
function bitstreamHeader(chunk: Chunk): { width: number; height: number; alpha: boolean } {
  const { data } = chunk;
  if (chunk.type === 'VP8 ') {
    if (data.length < 10) throw corrupt('the VP8 chunk is too short for a frame header');
    if (data[0]! & 1) throw corrupt('the VP8 frame is not a key frame');
    if (data[3] !== 0x9d || data[4] !== 0x01 || data[5] !== 0x2a) throw corrupt('the VP8 start code is missing');
    // 14 bits of size and 2 of upscaling hint, which decoders ignore.
    return { width: data.readUInt16LE(6) & 0x3fff, height: data.readUInt16LE(8) & 0x3fff, alpha: false };
  }
  if (data.length < 5 || data[0] !== 0x2f) throw corrupt('the VP8L signature is missing');
  const bits = data.readUInt32LE(1);
  if (bits >>> 29 !== 0) throw corrupt(`unknown VP8L version ${bits >>> 29}`);
  return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1, alpha: ((bits >>> 28) & 1) === 1 };
}

function imageChunkOf(chunks: readonly Chunk[], where: string): Chunk {
  const image = chunks.find((chunk) => chunk.type === 'VP8 ' || chunk.type === 'VP8L');
  if (!image) throw corrupt(`${where} has no image data (VP8 or VP8L chunk)`);
  return image;
}

function readStructure(bytes: Buffer): WebpStructure {
  if (bytes.length < 20) throw corrupt('the file is too short');
  const riffEnd = 8 + bytes.readUInt32LE(4);
  if (riffEnd > bytes.length)
    throw corrupt(`the RIFF container declares ${riffEnd} bytes; the file has ${bytes.length}`);
  const chunks = chunksIn(bytes, 12, riffEnd);
  const first = chunks[0];
  if (!first) throw corrupt('no chunks');
  if (first.type === 'VP8 ' || first.type === 'VP8L') {
    const header = bitstreamHeader(first);
    return { width: header.width, height: header.height, lossless: first.type === 'VP8L', hasAlpha: header.alpha };
  }
  if (first.type !== 'VP8X') throw corrupt(`unknown first chunk ${JSON.stringify(first.type)}`);
  if (first.data.length < 10) throw corrupt('the VP8X chunk is too short');
  const flags = first.data[0]!;
  const width = u24(first.data, 4) + 1;
  const height = u24(first.data, 7) + 1;
  const icc = flags & VP8X_ICC ? chunks.find((chunk) => chunk.type === 'ICCP')?.data : undefined;
  const iccProfile = icc && icc.length > 0 ? { iccProfile: icc } : {};

  if (!(flags & VP8X_ANIMATION)) {
    const image = imageChunkOf(chunks, 'the file');
    const header = bitstreamHeader(image);
    if (header.width !== width || header.height !== height) {
      throw corrupt(`the image is ${header.width}x${header.height}, the canvas ${width}x${height}`);
    }
    const hasAlpha = image.type === 'VP8L' ? header.alpha : chunks.some((chunk) => chunk.type === 'ALPH');
    return { width, height, lossless: image.type === 'VP8L', hasAlpha, ...iccProfile };
  }

  const frames = chunks.filter((chunk) => chunk.type === 'ANMF');
  if (frames.length === 0) throw corrupt('the animation has no frames (ANMF chunks)');
  let firstFrame: Frame | undefined;
  let firstFrameAlpha = false;
  for (const [index, anmf] of frames.entries()) {
    if (anmf.data.length < 16) throw corrupt(`the ANMF chunk of frame ${index + 1} is too short`);
    const frame = {
      x: u24(anmf.data, 0) * 2,
      y: u24(anmf.data, 3) * 2,
      width: u24(anmf.data, 6) + 1,
      height: u24(anmf.data, 9) + 1,
    };
    // Every frame is checked, as libwebp's demuxer does: such a file is invalid, whichever frame it is.
    if (frame.x + frame.width > width || frame.y + frame.height > height) {
      throw new ImageTooLargeError(
        'frame-outside-canvas',
        `webp frame ${index + 1} (${frame.width}x${frame.height} at ${frame.x},${frame.y}) reaches outside the ${width}x${height} canvas`,
      );
    }
    if (index > 0) continue;
    // Frame data: optional ALPH, then VP8 or VP8L; unknown chunks are skipped.
    const subchunks = chunksIn(anmf.data, 16, anmf.data.length);
    const image = imageChunkOf(subchunks, 'the first frame');
    const header = bitstreamHeader(image);
    if (header.width !== frame.width || header.height !== frame.height) {
      throw corrupt(
        `the first frame's image is ${header.width}x${header.height}, its ANMF chunk says ${frame.width}x${frame.height}`,
      );
    }
    const alph = image.type === 'VP8 ' ? subchunks.find((chunk) => chunk.type === 'ALPH') : undefined;
    firstFrame = { ...frame, chunks: alph ? [alph, image] : [image] };
    // The canvas around a frame that does not cover it is transparent.
    const covers = frame.width === width && frame.height === height;
    firstFrameAlpha = (image.type === 'VP8L' ? header.alpha : alph !== undefined) || !covers;
  }
  return {
    width,
    height,
    lossless: firstFrame!.chunks.some((chunk) => chunk.type === 'VP8L'),
    hasAlpha: firstFrameAlpha,
    frame: firstFrame!,
    ...iccProfile,
  };
}

/** The structure inspect read, kept for decode. */
const structureOf = oncePerFile(readStructure);

function chunkBytes(chunk: Chunk): Buffer {
  const header = Buffer.alloc(8);
  header.write(chunk.type, 0, 'latin1');
  header.writeUInt32LE(chunk.data.length, 4);
  return Buffer.concat([header, chunk.data, Buffer.alloc(chunk.data.length & 1)]);
}

/** A still WebP holding only the frame's image (and alpha) chunks: what the simple decoder accepts. */
export function stillWebpOf(frame: Frame): Buffer {
  const chunks: Chunk[] = [];
  if (frame.chunks.some((chunk) => chunk.type === 'ALPH')) {
    const vp8x = Buffer.alloc(10);
    vp8x[0] = 0x10; // alpha
    vp8x.writeUIntLE(frame.width - 1, 4, 3);
    vp8x.writeUIntLE(frame.height - 1, 7, 3);
    chunks.push({ type: 'VP8X', data: vp8x });
  }
  chunks.push(...frame.chunks);
  const body = Buffer.concat([Buffer.from('WEBP', 'latin1'), ...chunks.map(chunkBytes)]);
  const header = Buffer.alloc(8);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(body.length, 4);
  return Buffer.concat([header, body]);
}

/** The frame's pixels on a transparent canvas. */
function placeOnCanvas(frame: RgbaBitmap, x: number, y: number, width: number, height: number): RgbaBitmap {
  if (x === 0 && y === 0 && frame.width === width && frame.height === height) return frame;
  const canvas = Buffer.alloc(width * height * 4);
  const rowBytes = frame.width * 4;
  for (let row = 0; row < frame.height; row++) {
    frame.data.copy(canvas, ((y + row) * width + x) * 4, row * rowBytes, (row + 1) * rowBytes);
  }
  return { data: canvas, width, height };
}

interface WebpDecoderModule {
  default: (buffer: ArrayBuffer) => Promise<ImageData>;
  /** The published typings omit init's compiled-module parameter, which Node needs (no fetch of file URLs). */
  init: (module: WebAssembly.Module, options?: Record<string, unknown>) => Promise<void>;
}

/**
 * Quiet, and with locateFile set so the glue does not build the .wasm file's URL from import.meta.url,
 * which a CommonJS bundle does not have (the module passed to init is used instead).
 */
const GLUE_OPTIONS = { print: () => undefined, printErr: () => undefined, locateFile: (file: string) => file };

let decoder: Promise<WebpDecoderModule['default']> | undefined;

/** Loads and instantiates the decoder once per process, on the first WebP (nothing before). */
function loadDecoder(): Promise<WebpDecoderModule['default']> {
  decoder ??= (async () => {
    const codec = (await import('@jsquash/webp/decode.js')) as unknown as WebpDecoderModule;
    const wasm = await compilePackagedWasm('@jsquash/webp/codec/dec/webp_dec.wasm');
    await codec.init(wasm, GLUE_OPTIONS);
    return codec.default;
  })();
  decoder.catch(() => (decoder = undefined));
  return decoder;
}

async function decodeStill(bytes: Buffer): Promise<RgbaBitmap> {
  const decode = await loadDecoder();
  const input = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
  let image: ImageData;
  try {
    image = await decode(input);
  } catch (error) {
    // libwebp says no more than that it failed (truncated or invalid bitstream).
    throw corrupt(`libwebp cannot decode it (${(error as Error).message})`);
  }
  const { data, width, height } = image;
  return { data: Buffer.from(data.buffer, data.byteOffset, data.byteLength), width, height };
}

export const webpFormat: ImageFormat = {
  name: 'webp',

  sniff: SIGNATURES.webp,

  inspect(bytes): DeclaredImage {
    const structure = structureOf(bytes);
    const decoded = structure.frame ?? structure;
    const pixels = decoded.width * decoded.height;
    return {
      format: 'webp',
      width: structure.width,
      height: structure.height,
      bitsPerSample: 8,
      channels: structure.hasAlpha ? 4 : 3,
      // The decoder's copy of its input; its RGBA output in WebAssembly memory and the copy of it out;
      // lossless: the ARGB image VP8L decodes into first; lossy with alpha: the alpha plane. (The
      // budget adds the canvas-sized RGBA result itself.)
      workingBytes:
        bytes.length + pixels * 8 + (structure.lossless ? pixels * 4 : 0) + (structure.hasAlpha ? pixels : 0),
    };
  },

  async decode(bytes): Promise<DecodedImage> {
    const structure = structureOf(bytes);
    const { frame } = structure;
    let bitmap: RgbaBitmap;
    if (frame) {
      const decoded = await decodeStill(stillWebpOf(frame));
      bitmap = placeOnCanvas(decoded, frame.x, frame.y, structure.width, structure.height);
    } else {
      bitmap = await decodeStill(bytes);
    }
    if (bitmap.width !== structure.width || bitmap.height !== structure.height) {
      throw corrupt(
        `it decodes to ${bitmap.width}x${bitmap.height}, not the declared ${structure.width}x${structure.height}`,
      );
    }
    return {
      bitmap,
      orientation: 1,
      hasAlpha: structure.hasAlpha,
      ...(structure.iccProfile ? { iccProfile: new Uint8Array(structure.iccProfile) } : {}),
    };
  },
};
