import { compilePackagedWasm } from './wasm';
import type { RgbaBitmap } from '../types';

/**
 * libjpeg-turbo's decoder compiled to WebAssembly (the .wasm of @cwasm/jpeg-turbo), driven through the
 * TurboJPEG C API it exports. Besides 4-component JPEGs (formats/jpeg-cmyk.ts), it decodes YCbCr and
 * grey JPEGs at 1/2, 1/4 or 1/8 of their size with libjpeg's DCT scaling ("shrink-on-load", as libvips
 * does for sharp): at 1/8 only the average of each 8x8 block is computed, so a thumbnail of a large photo
 * skips most of the decoding. A fresh instance per image: its memory (the size of the decoded image)
 * goes with the image instead of staying with the container, and an instance that an error left
 * mid-call is never reused.
 */

export const TJPF_RGBA = 7;
export const TJPF_CMYK = 11;

/** libjpeg gave up on the data (its error_exit longjmp()s; setjmp is not available in this build). */
export class LibjpegError extends Error {}

let compiled: Promise<WebAssembly.Module> | undefined;

function compile(): Promise<WebAssembly.Module> {
  // Read from node_modules; serverless.yml packages the file with the function at the same path.
  compiled ??= compilePackagedWasm('@cwasm/jpeg-turbo/jpeg-turbo.wasm');
  compiled.catch(() => (compiled = undefined));
  return compiled;
}

/** Compiles the decoder ahead of the first image (the render worker's warm-up). */
export async function loadLibjpegTurboDecoder(): Promise<void> {
  await compile();
}

export interface TurboJpeg {
  memory: WebAssembly.Memory;
  malloc(bytes: number): number;
  free(pointer: number): void;
  tjInitDecompress(): number;
  tjDestroy(handle: number): number;
  tjDecompressHeader3(
    handle: number,
    source: number,
    size: number,
    width: number,
    height: number,
    subsampling: number,
    colourspace: number,
  ): number;
  tjDecompress2(
    handle: number,
    source: number,
    size: number,
    destination: number,
    width: number,
    pitch: number,
    height: number,
    pixelFormat: number,
    flags: number,
  ): number;
}

export async function instantiate(): Promise<TurboJpeg> {
  // Filled in once instantiated; the imports below only run after that.
  const host: { memory?: WebAssembly.Memory } = {};
  const refuse = (name: string) => () => {
    throw new Error(`libjpeg-turbo called ${name}, which this host does not provide`);
  };
  const instance = await WebAssembly.instantiate(await compile(), {
    env: {
      setjmp: () => 0,
      longjmp: () => {
        throw new LibjpegError();
      },
    },
    // The only system calls the library makes: getenv() (for JPEGMEM) reads an empty environment.
    wasi_snapshot_preview1: {
      environ_sizes_get: (count: number, size: number) => {
        const view = new DataView(host.memory!.buffer);
        view.setUint32(count, 0, true);
        view.setUint32(size, 0, true);
        return 0;
      },
      environ_get: () => 0,
      proc_exit: refuse('proc_exit'),
      fd_close: refuse('fd_close'),
      fd_seek: refuse('fd_seek'),
      fd_write: refuse('fd_write'),
    },
  });
  const exports = instance.exports as unknown as TurboJpeg;
  host.memory = exports.memory;
  return exports;
}

/** An EOI marker near the end: the entropy-coded data was not cut short. */
export function hasEndMarker(bytes: Buffer): boolean {
  const tail = bytes.subarray(Math.max(0, bytes.length - 4096));
  return tail.lastIndexOf(Buffer.from([0xff, 0xd9])) >= 0;
}

/** Why libjpeg-turbo could not decode a file: the caller words it as the image's failure. */
export class TurboDecodeError extends Error {
  override readonly name = 'TurboDecodeError';
}

/** A fresh decoder holding a JPEG's bytes, its frame header read. */
export interface OpenedJpeg {
  readonly jpeg: TurboJpeg;
  readonly handle: number;
  /** Where the JPEG's bytes are in the instance's memory. */
  readonly source: number;
  readonly width: number;
  readonly height: number;
  /** TurboJPEG's TJCS_* value. */
  readonly colourspace: number;
}

/**
 * Instantiates a decoder, copies `bytes` into it and reads the frame header. Throws TurboDecodeError if
 * there is no readable one.
 */
export async function openJpeg(bytes: Buffer): Promise<OpenedJpeg> {
  const jpeg = await instantiate();
  const source = jpeg.malloc(bytes.length);
  const header = jpeg.malloc(16);
  const handle = jpeg.tjInitDecompress();
  if (!source || !header || !handle) throw new Error('libjpeg-turbo could not allocate its decoder');
  new Uint8Array(jpeg.memory.buffer, source, bytes.length).set(bytes);
  let unreadable: boolean;
  try {
    unreadable =
      jpeg.tjDecompressHeader3(handle, source, bytes.length, header, header + 4, header + 8, header + 12) !== 0;
  } catch (error) {
    if (!(error instanceof LibjpegError)) throw error;
    unreadable = true;
  }
  if (unreadable) throw new TurboDecodeError('no readable frame header');
  const fields = new Int32Array(jpeg.memory.buffer, header, 4);
  return { jpeg, handle, source, width: fields[0]!, height: fields[1]!, colourspace: fields[3]! };
}

/**
 * Decodes a YCbCr or grey JPEG to RGBA at 1/`denominator` of its size (1, 2, 4 or 8; each side rounded
 * up, as libjpeg does), ignoring its EXIF orientation. Throws TurboDecodeError for data libjpeg cannot
 * read and for a truncated file (which libjpeg would return padded with grey). The bitmap is a view of
 * the instance's memory, which nothing else uses: no copy of the pixels is made.
 */
export async function decodeScaledJpeg(bytes: Buffer, denominator: 1 | 2 | 4 | 8): Promise<RgbaBitmap> {
  const opened = await openJpeg(bytes);
  const { jpeg, handle, source } = opened;
  const width = Math.ceil(opened.width / denominator);
  const height = Math.ceil(opened.height / denominator);
  try {
    const output = jpeg.malloc(width * height * 4);
    if (!output) throw new Error(`libjpeg-turbo has no memory for a ${width}x${height} image`);
    // Asked for the scaled size, TurboJPEG picks that scaling factor.
    const status = jpeg.tjDecompress2(handle, source, bytes.length, output, width, width * 4, height, TJPF_RGBA, 0);
    // -1 without an error: libjpeg warned and went on (extraneous bytes, a missing end marker...). A file
    // cut short is padded with grey, so that one is refused.
    if (status !== 0 && !hasEndMarker(bytes))
      throw new TurboDecodeError('Premature end of JPEG file (the file is truncated)');
    return { data: Buffer.from(jpeg.memory.buffer, output, width * height * 4), width, height };
  } catch (error) {
    if (error instanceof LibjpegError) throw new TurboDecodeError('libjpeg cannot decode the data');
    throw error;
  }
}
