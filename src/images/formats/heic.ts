import { compilePackagedWasm } from '../codecs/wasm';
import { UnreadableImageError } from '../../errors';
import type { DeclaredImage, DecodedImage, ImageFormat, RgbaBitmap } from '../types';
import { describePrimaryImage } from './isobmff';
import { SIGNATURES } from './signatures';

/**
 * HEIC (and other HEIF files that are not AVIF): phone photos, grids of tiles, 8 and 10 bits, alpha,
 * through libheif with libde265 compiled to WebAssembly (libheif-js, LGPL-3.0: see README). libheif
 * applies irot/imir/clap while decoding, so the pixels come out upright (orientation 1) and, with a
 * clean aperture, possibly smaller than the declared size; any depth is converted to 8-bit RGBA.
 */

interface HeifEnum {
  readonly value: number;
}
interface HeifError {
  readonly code: HeifEnum;
  readonly message: string;
}
interface HeifChannel {
  readonly id: HeifEnum;
  readonly width: number;
  readonly height: number;
  readonly stride: number;
  /** A view of WebAssembly memory: valid until the image is released. */
  readonly data: Uint8Array;
}
interface Opaque {
  readonly __opaque: unique symbol;
}
interface DecodedHeif {
  readonly image: Opaque;
  readonly channels: readonly HeifChannel[];
}

/** The part of libheif's Emscripten module this file uses (the package publishes no typings for it). */
interface LibHeif {
  heif_context_alloc(): Opaque;
  heif_context_free(context: Opaque): void;
  heif_context_read_from_memory(context: Opaque, bytes: Uint8Array): HeifError;
  heif_js_context_get_primary_image_handle(context: Opaque): Opaque | HeifError;
  heif_image_handle_release(handle: Opaque): void;
  heif_js_decode_image2(handle: Opaque, colorspace: HeifEnum, chroma: HeifEnum): DecodedHeif | HeifError;
  heif_image_release(image: Opaque): void;
  readonly heif_colorspace: { readonly heif_colorspace_RGB: HeifEnum };
  readonly heif_chroma: { readonly heif_chroma_interleaved_RGBA: HeifEnum };
  readonly heif_channel: { readonly heif_channel_interleaved: HeifEnum };
}

type LibHeifFactory = (options: Record<string, unknown>) => LibHeif;

let library: Promise<LibHeif> | undefined;
let compiled: Promise<WebAssembly.Module> | undefined;

/**
 * WebAssembly memory only grows: a 12 MP HEIC would leave the instance holding over 100 MiB for the
 * rest of the container's life. After an image that large the instance is dropped and its memory
 * collected (measured: external memory back to a few MiB); the next HEIC instantiates the kept
 * compiled module again, in tens of milliseconds.
 */
const RELEASE_ABOVE_BYTES = 64 * 2 ** 20;

/** Loads and instantiates libheif once per process, on the first HEIC (a JPEG-only workload never pays). */
function loadLibrary(): Promise<LibHeif> {
  library ??= (async () => {
    const imported = (await import('libheif-js/libheif-wasm/libheif.js')) as unknown as
      LibHeifFactory | { default: LibHeifFactory };
    const factory = typeof imported === 'function' ? imported : imported.default;
    compiled ??= compilePackagedWasm('libheif-js/libheif-wasm/libheif.wasm');
    compiled.catch(() => (compiled = undefined));
    const wasm = await compiled;
    let ready!: () => void;
    let failed!: (error: Error) => void;
    const initialised = new Promise<void>((resolve, reject) => {
      ready = resolve;
      failed = reject;
    });
    const lib = factory({
      // Instantiates the compiled module instead of letting the glue read the .wasm by a path of its own.
      instantiateWasm(imports: WebAssembly.Imports, receive: (instance: WebAssembly.Instance) => void) {
        const instance = new WebAssembly.Instance(wasm, imports);
        receive(instance);
        return instance.exports;
      },
      // Called before or after the factory returns, depending on the build: awaited either way.
      onRuntimeInitialized: () => ready(),
      onAbort: (reason: unknown) => failed(new Error(`libheif aborted: ${String(reason)}`)),
      print: () => undefined,
      printErr: () => undefined,
    });
    await initialised;
    return lib;
  })();
  library.catch(() => (library = undefined));
  return library;
}

function isError(value: unknown): value is HeifError {
  return typeof value === 'object' && value !== null && 'code' in value && (value as HeifError).code.value !== 0;
}

function corrupt(detail: string): UnreadableImageError {
  return new UnreadableImageError('corrupt-image', `the heic data cannot be decoded (${detail})`);
}

/** Copies the interleaved RGBA plane out of WebAssembly memory, dropping any row padding. */
function copyRgba(channel: HeifChannel): RgbaBitmap {
  const { width, height, stride, data } = channel;
  const rowBytes = width * 4;
  if (stride === rowBytes) return { data: Buffer.from(data.subarray(0, rowBytes * height)), width, height };
  const pixels = Buffer.allocUnsafe(rowBytes * height);
  for (let row = 0; row < height; row++)
    pixels.set(data.subarray(row * stride, row * stride + rowBytes), row * rowBytes);
  return { data: pixels, width, height };
}

async function decodePrimaryImage(bytes: Buffer): Promise<RgbaBitmap> {
  const lib = await loadLibrary();
  const context = lib.heif_context_alloc();
  try {
    const read = lib.heif_context_read_from_memory(context, bytes);
    if (isError(read)) throw corrupt(read.message);
    const handle = lib.heif_js_context_get_primary_image_handle(context);
    if (isError(handle)) throw corrupt(handle.message);
    try {
      const decoded = lib.heif_js_decode_image2(
        handle as Opaque,
        lib.heif_colorspace.heif_colorspace_RGB,
        lib.heif_chroma.heif_chroma_interleaved_RGBA,
      );
      if (!decoded || isError(decoded)) throw corrupt(decoded ? decoded.message : 'no image');
      try {
        const interleaved = lib.heif_channel.heif_channel_interleaved.value;
        const channel = decoded.channels.find((candidate) => candidate.id.value === interleaved);
        if (!channel) throw corrupt('no RGBA plane');
        return copyRgba(channel);
      } finally {
        lib.heif_image_release(decoded.image);
      }
    } finally {
      lib.heif_image_handle_release(handle as Opaque);
    }
  } finally {
    lib.heif_context_free(context);
  }
}

export const heicFormat: ImageFormat = {
  name: 'heic',

  sniff: SIGNATURES.heic,

  inspect(bytes): DeclaredImage {
    const image = describePrimaryImage(bytes, 'heic');
    if (image.codedType !== 'hvc1' && image.codedType !== 'hev1') {
      throw new UnreadableImageError(
        'unsupported-format',
        `the heif primary image is coded as ${image.codedType}; only HEVC (hvc1) is supported`,
      );
    }
    const sampleBytes = image.bitDepth > 8 ? 2 : 1;
    const pixels = image.width * image.height;
    return {
      format: 'heic',
      width: image.width,
      height: image.height,
      bitsPerSample: image.bitDepth,
      channels: image.colourChannels + (image.hasAlpha ? 1 : 0),
      // Two copies of the file (the binding's and libheif's); libde265's pictures and libheif's
      // assembled planes, counted as 4:4:4 at the stored depth (2.5 planes' worth); above 8 bits an
      // intermediate 16-bit RGBA image; the 8-bit RGBA image in WebAssembly memory, which is copied out
      // (the budget counts that copy).
      workingBytes:
        2 * bytes.length +
        Math.ceil((image.codedPixels * image.colourChannels + image.alphaPixels) * sampleBytes * 2.5) +
        (sampleBytes > 1 ? pixels * 8 : 0) +
        pixels * 4,
    };
  },

  async decode(bytes, declared): Promise<DecodedImage> {
    const image = describePrimaryImage(bytes, 'heic');
    let bitmap: RgbaBitmap;
    try {
      bitmap = await decodePrimaryImage(bytes);
    } finally {
      if ((declared.workingBytes ?? 0) > RELEASE_ABOVE_BYTES) library = undefined;
    }
    // Upright and possibly cropped (clap): at most the declared size, turned if irot turns it.
    const fits =
      (bitmap.width <= image.width && bitmap.height <= image.height) ||
      (bitmap.width <= image.height && bitmap.height <= image.width);
    if (!fits) {
      throw corrupt(
        `it decodes to ${bitmap.width}x${bitmap.height}, larger than the declared ${image.width}x${image.height}`,
      );
    }
    return {
      bitmap,
      orientation: 1,
      hasAlpha: image.hasAlpha,
      ...(image.iccProfile ? { iccProfile: image.iccProfile } : {}),
    };
  },
};
