import { ImageTooLargeError, UnreadableImageError } from '../../errors';
import type { DeclaredImage, DecodedImage, ImageFormat } from '../types';
import { SIGNATURES } from './signatures';

/**
 * GIF: the first frame only, composited on the logical screen as a browser shows it before any
 * animation runs (uncovered screen transparent, the frame's transparent index transparent).
 *
 * A first frame reaching outside the logical screen is refused ('frame-outside-canvas') rather than
 * clipped: the decoder would still pay for every pixel of the frame, and a file that disagrees with
 * its own screen is broken or hostile. (Browsers enlarge the screen to fit a first frame; that would
 * only hand the pixel budget to the frame.)
 */

const TRAILER = 0x3b;
const EXTENSION = 0x21;
const IMAGE_DESCRIPTOR = 0x2c;
const GRAPHIC_CONTROL = 0xf9;

/** The first frame and the parts of the file needed to decode it, located without decompressing. */
interface FirstFrame {
  readonly screenWidth: number;
  readonly screenHeight: number;
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
  /** The global colour table (empty if none). */
  readonly globalPalette: Buffer;
  /** The frame's transparent colour index, if its graphic control extension sets one. */
  readonly transparentIndex?: number;
  /** Image descriptor, local colour table, LZW code size and data sub-blocks up to their terminator. */
  readonly image: Buffer;
  /** Bytes of LZW data in the sub-blocks (their length bytes not counted). */
  readonly lzwBytes: number;
}

function corrupt(reason: string): UnreadableImageError {
  return new UnreadableImageError('corrupt-image', `the gif data cannot be read: ${reason}`);
}

/**
 * The most LZW data a frame of `pixels` pixels can need: at most one code per pixel plus a clear code
 * before each, 12 bits each (an encoder that never compresses and clears all the time stays below).
 */
export function maxLzwBytes(pixels: number): number {
  return Math.ceil((pixels * 2 * 12) / 8) + 1024;
}

/** Skips data sub-blocks from `at` (a length byte, then that many bytes, until a 0 length). */
function skipSubBlocks(bytes: Buffer, at: number): { end: number; dataBytes: number } {
  let dataBytes = 0;
  for (;;) {
    if (at >= bytes.length) throw corrupt('the file ends inside a block');
    const size = bytes[at]!;
    at += 1 + size;
    if (size === 0) return { end: at, dataBytes };
    dataBytes += size;
  }
}

function colourTableBytes(packed: number): number {
  return packed & 0x80 ? 3 * (1 << ((packed & 0x07) + 1)) : 0;
}

/** Walks the blocks up to the end of the first image's data, skipping extensions' sub-blocks. */
export function readFirstFrame(bytes: Buffer): FirstFrame {
  if (bytes.length < 13) throw corrupt('the file ends inside its header');
  const screenWidth = bytes.readUInt16LE(6);
  const screenHeight = bytes.readUInt16LE(8);
  const globalEnd = 13 + colourTableBytes(bytes[10]!);
  if (globalEnd > bytes.length) throw corrupt('the file ends inside its global colour table');
  const globalPalette = bytes.subarray(13, globalEnd);

  let at = globalEnd;
  let transparentIndex: number | undefined;
  while (at < bytes.length) {
    const introducer = bytes[at]!;
    if (introducer === EXTENSION) {
      const label = bytes[at + 1];
      if (label === GRAPHIC_CONTROL) {
        if (bytes[at + 2] !== 4 || at + 8 > bytes.length) throw corrupt('malformed graphic control extension');
        // Applies to the next image only; a later one replaces it.
        transparentIndex = bytes[at + 3]! & 0x01 ? bytes[at + 6] : undefined;
      }
      at = skipSubBlocks(bytes, at + 2).end;
    } else if (introducer === IMAGE_DESCRIPTOR) {
      if (at + 10 > bytes.length) throw corrupt('the file ends inside an image descriptor');
      const left = bytes.readUInt16LE(at + 1);
      const top = bytes.readUInt16LE(at + 3);
      const width = bytes.readUInt16LE(at + 5);
      const height = bytes.readUInt16LE(at + 7);
      const packed = bytes[at + 9]!;
      const codeSizeAt = at + 10 + colourTableBytes(packed);
      if (codeSizeAt >= bytes.length) throw corrupt('the file ends before the first image data');
      if (!(packed & 0x80) && globalPalette.length === 0) throw corrupt('the first image has no colour table');
      const codeSize = bytes[codeSizeAt]!;
      if (codeSize < 2 || codeSize > 8) throw corrupt(`LZW minimum code size ${codeSize} (2 to 8)`);
      const { end, dataBytes } = skipSubBlocks(bytes, codeSizeAt + 1);
      return {
        screenWidth,
        screenHeight,
        left,
        top,
        width,
        height,
        globalPalette,
        ...(transparentIndex === undefined ? {} : { transparentIndex }),
        image: bytes.subarray(at, end),
        lzwBytes: dataBytes,
      };
    } else if (introducer === TRAILER) {
      throw corrupt('the file has no image');
    } else {
      throw corrupt(`unknown block 0x${introducer.toString(16)} at byte ${at}`);
    }
  }
  throw corrupt('the file ends before its first image');
}

function checkFrame(frame: FirstFrame): void {
  const { left, top, width, height, screenWidth, screenHeight } = frame;
  if (screenWidth === 0 || screenHeight === 0) throw corrupt(`a logical screen of ${screenWidth}x${screenHeight}`);
  if (left + width > screenWidth || top + height > screenHeight) {
    throw new ImageTooLargeError(
      'frame-outside-canvas',
      `the first gif frame (${width}x${height} at ${left},${top}) reaches outside its ${screenWidth}x${screenHeight} screen`,
    );
  }
  const limit = maxLzwBytes(width * height);
  if (frame.lzwBytes > limit) {
    throw new ImageTooLargeError(
      'excess-compressed-data',
      `the first gif frame (${width}x${height}) has ${frame.lzwBytes} bytes of LZW data; at most ${limit} can be meaningful`,
    );
  }
}

/**
 * A GIF holding only the first frame: the screen descriptor and global colour table, a graphic
 * control extension with only the transparency, the frame, the trailer. The decoder then never walks
 * later frames or extensions (which it may refuse: plain text, unknown labels).
 */
function singleFrameGif(bytes: Buffer, frame: FirstFrame): Buffer {
  const control =
    frame.transparentIndex === undefined
      ? Buffer.alloc(0)
      : Buffer.from([EXTENSION, GRAPHIC_CONTROL, 4, 0x01, 0, 0, frame.transparentIndex, 0]);
  return Buffer.concat([bytes.subarray(0, 13 + frame.globalPalette.length), control, frame.image, Buffer.of(TRAILER)]);
}

function anyTransparent(rgba: Buffer): boolean {
  for (let at = 3; at < rgba.length; at += 4) if (rgba[at] === 0) return true;
  return false;
}

export const gifFormat: ImageFormat = {
  name: 'gif',

  sniff: SIGNATURES.gif,

  inspect(bytes: Buffer): DeclaredImage {
    const frame = readFirstFrame(bytes);
    checkFrame(frame);
    return {
      format: 'gif',
      width: frame.screenWidth,
      height: frame.screenHeight,
      bitsPerSample: 8,
      // A palette index per pixel, as stored.
      channels: 1,
      // The decoder's index stream (one byte per frame pixel) and the single-frame copy it is handed.
      workingBytes: frame.width * frame.height + 13 + frame.globalPalette.length + frame.image.length + 9,
    };
  },

  async decode(bytes: Buffer): Promise<DecodedImage> {
    const frame = readFirstFrame(bytes);
    checkFrame(frame);
    const { GifReader } = await import('omggif');
    const pixels = Buffer.alloc(frame.screenWidth * frame.screenHeight * 4); // transparent black
    try {
      new GifReader(singleFrameGif(bytes, frame)).decodeAndBlitFrameRGBA(0, pixels);
    } catch (error) {
      throw corrupt(error instanceof Error ? error.message : String(error));
    }
    const coversScreen = frame.width === frame.screenWidth && frame.height === frame.screenHeight;
    return {
      bitmap: { data: pixels, width: frame.screenWidth, height: frame.screenHeight },
      orientation: 1,
      // Encoders (libvips among them) set a transparent index in opaque images too: look at the pixels.
      hasAlpha: (frame.transparentIndex !== undefined || !coversScreen) && anyTransparent(pixels),
    };
  },
};
