import { compilePackagedWasm } from '../codecs/wasm';
import type { RgbaBitmap } from '../types';

/**
 * WebP thumbnails through libwebp compiled to WebAssembly (@jsquash/webp, the SIMD build: Node on
 * Lambda has WebAssembly SIMD). Loaded on the first WebP thumbnail, not before. Lossy with alpha kept
 * where the thumbnail has it.
 */

interface WebpEncoderModule {
  default: (image: ImageData, options?: Record<string, number>) => Promise<ArrayBuffer>;
  /** The published typings omit init's compiled-module parameter, which Node needs (no fetch of file URLs). */
  init: (module: WebAssembly.Module, options?: Record<string, unknown>) => Promise<unknown>;
}

/**
 * Quiet, and with locateFile set so the glue does not build the .wasm file's URL from import.meta.url,
 * which a CommonJS bundle does not have (the module passed to init is used instead).
 */
const GLUE_OPTIONS = { print: () => undefined, printErr: () => undefined, locateFile: (file: string) => file };

let encoder: Promise<WebpEncoderModule['default']> | undefined;

function loadEncoder(): Promise<WebpEncoderModule['default']> {
  encoder ??= (async () => {
    const codec = (await import('@jsquash/webp/encode.js')) as unknown as WebpEncoderModule;
    // encode.js picks the SIMD glue when WebAssembly SIMD is available (it is, from Node 16): the
    // module compiled here must be the matching build.
    const wasm = await compilePackagedWasm('@jsquash/webp/codec/enc/webp_enc_simd.wasm');
    await codec.init(wasm, GLUE_OPTIONS);
    return codec.default;
  })();
  encoder.catch(() => (encoder = undefined));
  return encoder;
}

/**
 * Encodes RGBA pixels as a lossy WebP at `quality` (1-100, libwebp's scale).
 * Method 4 is libwebp's (and cwebp's) default balance of speed and size.
 */
export async function encodeWebp(bitmap: RgbaBitmap, quality: number): Promise<Buffer> {
  const encode = await loadEncoder();
  const pixels = new Uint8ClampedArray(bitmap.data.buffer, bitmap.data.byteOffset, bitmap.data.byteLength);
  const encoded = await encode(
    { data: pixels as Uint8ClampedArray<ArrayBuffer>, width: bitmap.width, height: bitmap.height, colorSpace: 'srgb' },
    {
      quality,
      method: 4,
    },
  );
  return Buffer.from(encoded);
}
