import createLibjpegTurbo, { type JpegEncoder } from '@cornerstonejs/codec-libjpeg-turbo-8bit/wasmjs';
import { compilePackagedWasm } from './wasm';
import { withKernels } from '../kernels/pixel-kernels';
import type { RgbaBitmap } from '../types';

/**
 * Baseline JPEG through libjpeg-turbo compiled to WebAssembly (@cornerstonejs/codec-libjpeg-turbo-8bit):
 * about 4x faster than MozJPEG's encoder, which always runs trellis quantisation (its build exposes no
 * switch for it), and the encoder libvips (sharp) uses with the same settings: standard quantisation
 * tables scaled by quality, 4:2:0 chroma, Huffman tables not optimised. Files come out a few percent
 * larger than MozJPEG's at the same quality. The .wasm file is read from node_modules; serverless.yml
 * packages it (and the package.json its exports map needs) with the function.
 */

const TJSAMP_420 = 2;

/**
 * Smaller thumbnails go to MozJPEG: they cost little with any encoder, and trellis quantisation keeps
 * more of their saturated edges at the same quality (about 0.2 levels closer to libvips' unencoded
 * thumbnail on saturated test images). Also, the wrapper writes into a buffer the size of the raw pixels,
 * which a tiny image's headers and tables overflow.
 */
const MIN_PIXELS = 256 * 256;
const MIN_SIDE = 16;

let encoder: Promise<JpegEncoder> | undefined;

function load(): Promise<JpegEncoder> {
  encoder ??= (async () => {
    const module = await compilePackagedWasm('@cornerstonejs/codec-libjpeg-turbo-8bit/wasm');
    const turbo = await createLibjpegTurbo({
      instantiateWasm(imports, receive) {
        void WebAssembly.instantiate(module, imports).then((instance) => receive(instance, module));
        return {};
      },
      print: () => undefined,
      printErr: () => undefined,
    });
    const created = new turbo.JPEGEncoder();
    created.setProgressive(0);
    created.setSubSampling(TJSAMP_420);
    return created;
  })();
  // A failed load is not cached: the next image tries again.
  encoder.catch(() => (encoder = undefined));
  return encoder;
}

/** Compiles and instantiates the encoder ahead of the first thumbnail (the render worker's warm-up). */
export async function loadLibjpegTurboEncoder(): Promise<void> {
  await load();
}

/** Copies RGBA pixels into `rgb` without their alpha, by the SIMD kernel: a fifth of a JavaScript loop's time. */
function copyWithoutAlpha(rgba: Buffer, rgb: Uint8Array): void {
  withKernels((arena) => {
    const source = arena.copyIn(rgba);
    const out = arena.allocate(rgb.length);
    arena.kernels.dropAlpha(source, rgb.length / 3, out);
    rgb.set(arena.bytes(out, rgb.length));
  });
}

/**
 * Encodes `bitmap` (alpha ignored) as a baseline JPEG, or returns undefined for an image too small for
 * this encoder, or when it failed (a trap leaves its instance in an unknown state: it is replaced).
 */
export async function encodeJpegWithLibjpegTurbo(bitmap: RgbaBitmap, quality: number): Promise<Buffer | undefined> {
  const { width, height, data } = bitmap;
  if (width * height < MIN_PIXELS || Math.min(width, height) < MIN_SIDE) return undefined;
  const turbo = await load();
  try {
    turbo.setQuality(quality);
    const rgb = turbo.getDecodedBuffer({ width, height, bitsPerSample: 8, componentCount: 3, isSigned: false });
    copyWithoutAlpha(data, rgb);
    turbo.encode();
    const encoded = turbo.getEncodedBuffer();
    return Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength);
  } catch {
    encoder = undefined;
    return undefined;
  }
}
