import { compilePackagedWasm } from '../codecs/wasm';
import type { RgbaBitmap } from '../types';

/**
 * AVIF thumbnails through libavif with libaom's encoder compiled to WebAssembly (@jsquash/avif, the
 * single-threaded build: Lambda gives no worker threads to it). Loaded on the first AVIF thumbnail.
 * 8-bit 4:2:0; an alpha plane is written only if a pixel is not opaque.
 */

interface AvifEncoderModule {
  default: (image: ImageData, options?: Record<string, number | boolean>) => Promise<ArrayBuffer>;
  /** The published typings omit init's compiled-module parameter, which Node needs (no fetch of file URLs). */
  init: (module: WebAssembly.Module, options?: Record<string, unknown>) => Promise<unknown>;
}

/** libaom speed 0-10 (10 fastest): at 8 a 960x720 thumbnail took 0.15 s here once the codec was loaded. */
const SPEED = 8;

/**
 * Quiet, and with locateFile set so the glue does not build the .wasm file's URL from import.meta.url,
 * which a CommonJS bundle does not have (the module passed to init is used instead).
 */
const GLUE_OPTIONS = { print: () => undefined, printErr: () => undefined, locateFile: (file: string) => file };

let encoder: Promise<AvifEncoderModule['default']> | undefined;

function loadEncoder(): Promise<AvifEncoderModule['default']> {
  encoder ??= (async () => {
    const codec = (await import('@jsquash/avif/encode.js')) as unknown as AvifEncoderModule;
    // In Node, encode.js always picks the single-threaded glue; this is its module.
    const wasm = await compilePackagedWasm('@jsquash/avif/codec/enc/avif_enc.wasm');
    await codec.init(wasm, GLUE_OPTIONS);
    return codec.default;
  })();
  encoder.catch(() => (encoder = undefined));
  return encoder;
}

/**
 * Encodes RGBA pixels as an 8-bit AVIF at `quality` (0-100, libavif's scale, where 100 is lossless;
 * a different scale from JPEG's and WebP's: the same number does not mean the same quality).
 */
export async function encodeAvif(bitmap: RgbaBitmap, quality: number): Promise<Buffer> {
  const encode = await loadEncoder();
  // The binding reads the whole ArrayBuffer under the view, so the pixels must own theirs.
  const owned = bitmap.data.byteOffset === 0 && bitmap.data.buffer.byteLength === bitmap.data.byteLength;
  const pixels = new Uint8ClampedArray(owned ? bitmap.data.buffer : Uint8Array.from(bitmap.data).buffer);
  const encoded = await encode(
    { data: pixels as Uint8ClampedArray<ArrayBuffer>, width: bitmap.width, height: bitmap.height, colorSpace: 'srgb' },
    {
      quality,
      speed: SPEED,
      subsample: 1,
      bitDepth: 8,
    },
  );
  return Buffer.from(encoded);
}
