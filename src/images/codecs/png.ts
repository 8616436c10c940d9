import { compilePackagedWasm } from './wasm';
import decodeWithRustPng, { init as initDecoder } from '@jsquash/png/decode.js';
import encodeWithRustPng, { init as initEncoder } from '@jsquash/png/encode.js';
import type { RgbaBitmap } from '../types';

/**
 * PNG through the Rust `png` crate compiled to WebAssembly (@jsquash/png): every bit depth, palette,
 * grey and interlaced, with 16-bit samples stripped to 8 while decoding. The .wasm file is read from
 * node_modules; serverless.yml packages it with the function at the same path.
 */

type InitWithModule = (module: WebAssembly.Module) => Promise<unknown>;

let ready: Promise<void> | undefined;

/** Compiles and instantiates the codec once per process, on the first PNG (a JPEG-only workload never pays). */
function initialise(): Promise<void> {
  ready ??= (async () => {
    const module = await compilePackagedWasm('@jsquash/png/codec/pkg/squoosh_png_bg.wasm');
    // One module: decode and encode share it, each init call instantiates once.
    await (initDecoder as unknown as InitWithModule)(module);
    await (initEncoder as unknown as InitWithModule)(module);
  })();
  return ready;
}

export async function decodePng(bytes: Buffer): Promise<RgbaBitmap> {
  await initialise();
  const input = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
  const { data, width, height } = await decodeWithRustPng(input);
  return { data: Buffer.from(data.buffer, data.byteOffset, data.byteLength), width, height };
}

export async function encodePng(bitmap: RgbaBitmap): Promise<Buffer> {
  await initialise();
  // The encoder reads the whole ArrayBuffer under the view, so the pixels must own theirs.
  const owned = bitmap.data.byteOffset === 0 && bitmap.data.buffer.byteLength === bitmap.data.byteLength;
  const pixels = new Uint8ClampedArray(owned ? bitmap.data.buffer : Uint8Array.from(bitmap.data).buffer);
  const encoded = await encodeWithRustPng({
    data: pixels,
    width: bitmap.width,
    height: bitmap.height,
    colorSpace: 'srgb',
  } as ImageData);
  return Buffer.from(encoded);
}
