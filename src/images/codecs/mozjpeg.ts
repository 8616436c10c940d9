import decodeWithMozjpeg, { init as initDecoder } from '@jsquash/jpeg/decode.js';
import encodeWithMozjpeg, { init as initEncoder } from '@jsquash/jpeg/encode.js';
import { compilePackagedWasm } from './wasm';
import type { RgbaBitmap } from '../types';

/**
 * JPEG through MozJPEG compiled to WebAssembly (@jsquash/jpeg): decoding is about 8x, encoding about 4x
 * faster than jimp's pure-JavaScript codec, with no native binary in the bundle. The .wasm files are
 * read from node_modules; serverless.yml packages them with the function at the same path.
 */

/** The published typings omit init's first parameter, a compiled module, which Node needs (no fetch of file URLs). */
type InitWithModule = (module: WebAssembly.Module, options: Record<string, unknown>) => Promise<void>;

/** libjpeg reports problems it recovers from (and fatal ones) on stderr; each decode collects them. */
let decoderMessages: string[] = [];
let ready: Promise<void> | undefined;

/** Compiles and instantiates both codecs once per process (a Lambda container keeps them). */
function initialise(): Promise<void> {
  ready ??= (async () => {
    const capture = { printErr: (text: string) => decoderMessages.push(text), print: () => undefined };
    await (initDecoder as unknown as InitWithModule)(
      await compilePackagedWasm('@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm'),
      capture,
    );
    await (initEncoder as unknown as InitWithModule)(
      await compilePackagedWasm('@jsquash/jpeg/codec/enc/mozjpeg_enc.wasm'),
      {
        printErr: () => undefined,
        print: () => undefined,
      },
    );
  })();
  return ready;
}

export class JpegDecodeError extends Error {
  override readonly name = 'JpegDecodeError';

  constructor(
    message: string,
    /** The data ends early: no other decoder can do better. */
    readonly truncated = false,
  ) {
    super(message);
  }
}

/**
 * Decodes a JPEG to RGBA, ignoring its EXIF orientation (the caller applies it after shrinking, where
 * rotating is cheap). Throws JpegDecodeError for data libjpeg cannot read and for truncated files,
 * which libjpeg would otherwise return padded with grey. Not re-entrant: decode one image at a time.
 */
export async function decodeJpeg(bytes: Buffer): Promise<RgbaBitmap> {
  await initialise();
  decoderMessages = [];
  const input = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
  let image: ImageData;
  try {
    image = await decodeWithMozjpeg(input, { preserveOrientation: false });
  } catch (error) {
    throw new JpegDecodeError(decoderMessages.join('; ') || (error as Error).message);
  }
  const truncated = decoderMessages.find((message) => message.startsWith('Premature end of JPEG file'));
  if (truncated) throw new JpegDecodeError(`${truncated} (the file is truncated)`, true);
  const { data, width, height } = image;
  return { data: Buffer.from(data.buffer, data.byteOffset, data.byteLength), width, height };
}

/**
 * Baseline JPEG with optimised Huffman tables and 4:2:0 chroma: what browsers decode fastest, and small.
 * MozJPEG's slower defaults (progressive scans, trellis passes) save a few percent of bytes at two to
 * three times the encoding time, which a thumbnail does not repay.
 */
export async function encodeJpeg(bitmap: RgbaBitmap, quality: number): Promise<Buffer> {
  await initialise();
  const pixels = new Uint8ClampedArray(
    bitmap.data.buffer as ArrayBuffer,
    bitmap.data.byteOffset,
    bitmap.data.byteLength,
  );
  const encoded = await encodeWithMozjpeg(
    { data: pixels, width: bitmap.width, height: bitmap.height, colorSpace: 'srgb' },
    {
      quality,
      baseline: true,
      progressive: false,
      optimize_coding: true,
      trellis_multipass: false,
      trellis_opt_zero: false,
      trellis_opt_table: false,
      trellis_loops: 1,
      auto_subsample: true,
      chroma_subsample: 2,
    },
  );
  return Buffer.from(encoded);
}
