import { readFile } from 'node:fs/promises';

/**
 * dav1d (VideoLAN's AV1 decoder, BSD-2-Clause) compiled to WebAssembly, as published in dav1d.js 0.1.1
 * (wrapper CC0-1.0): 8-bit only, scalar C, about 2.5x faster than libaom's decoder in @jsquash/avif on a
 * 12 MP photo. Its wrapper returns 8-bit 4:2:0 frames only, as three planes one after another, and
 * refuses every other depth and layout.
 *
 * The package's own JavaScript is not used (it is an ES module that fetches the .wasm); this file drives
 * the same five exports. The module imports a memory that its binary caps at 64 MiB (1024 pages), which a
 * 12 MP frame nearly fills (51.5 MB); the cap is raised in the binary before compiling (a two-byte LEB128
 * of the import's maximum, rewritten in place), and malloc's sbrk, which the module imports from
 * JavaScript, grows the memory. Each frame gets an instance and a memory of its own: nothing is shared
 * between images, and the memory is collected with the frame once the caller drops it.
 */

const WASM_SPECIFIER = 'dav1d.js/dav1d.wasm';
const PAGE = 65_536;
/** The module's own declared memory (must match its import exactly) and the raised maximum: 512 MiB. */
const INITIAL_PAGES = 1024;
const MAXIMUM_PAGES = 8191;
/** Where the module's static data and stack end (emscripten's layout, from the package's glue). */
const STATIC_TOP = 5_626_096;
/** Function table entries the module imports (from the package's glue). */
const TABLE_SIZE = 271;
/** djs_decode_obu's format argument: three planes, Y then U then V, each without padding. */
const FORMAT_YUV = 0;

/** The memory import, `env` `memory`, limits flag 1 (has a maximum), initial 1024, maximum 1024. */
const MEMORY_IMPORT = Buffer.from([0x06, ...Buffer.from('memory'), 0x02, 0x01, 0x80, 0x08, 0x80, 0x08]);

export class Dav1dError extends Error {
  override readonly name = 'Dav1dError';
}

interface Dav1dExports {
  djs_init(): number;
  djs_alloc_obu(length: number): number;
  djs_decode_obu(context: number, obu: number, length: number, format: number): number;
}

/** One decoded 8-bit 4:2:0 frame; the planes are views of the frame's own WebAssembly memory. */
export interface I420Frame {
  readonly width: number;
  readonly height: number;
  readonly y: Uint8Array;
  /**
   * width / 2 by height / 2 samples each. The wrapper lays out odd sizes wrongly (it allots rounded-up
   * planes but copies rounded-down rows), so callers decode even sizes only.
   */
  readonly u: Uint8Array;
  readonly v: Uint8Array;
}

/** The binary with its memory import's maximum raised from 1024 pages to MAXIMUM_PAGES (same length). */
export function raiseMemoryMaximum(wasm: Buffer): Buffer {
  const at = wasm.indexOf(MEMORY_IMPORT);
  if (at < 0 || wasm.indexOf(MEMORY_IMPORT, at + 1) >= 0) {
    throw new Dav1dError("dav1d.wasm's memory import is not the one this loader was written for");
  }
  const patched = Buffer.from(wasm);
  patched[at + MEMORY_IMPORT.length - 2] = 0x80 | (MAXIMUM_PAGES & 0x7f);
  patched[at + MEMORY_IMPORT.length - 1] = MAXIMUM_PAGES >> 7;
  return patched;
}

let compiled: Promise<WebAssembly.Module> | undefined;

/** Compiles the module once per process, on the first frame; a failed compile is tried again next time. */
function loadModule(): Promise<WebAssembly.Module> {
  compiled ??= (async () =>
    WebAssembly.compile(new Uint8Array(raiseMemoryMaximum(await readFile(require.resolve(WASM_SPECIFIER))))))();
  compiled.catch(() => (compiled = undefined));
  return compiled;
}

function instantiate(module: WebAssembly.Module): { exports: Dav1dExports; memory: WebAssembly.Memory } {
  const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAXIMUM_PAGES });
  let top = STATIC_TOP;
  const none = () => 0;
  const env = {
    memory,
    table: new WebAssembly.Table({ initial: TABLE_SIZE, maximum: TABLE_SIZE, element: 'anyfunc' }),
    sbrk(increment: number): number {
      const previous = top;
      if (top + increment > MAXIMUM_PAGES * PAGE) return -1; // malloc fails; dav1d reports it
      top += increment;
      const missing = Math.ceil(top / PAGE) - memory.buffer.byteLength / PAGE;
      if (missing > 0) memory.grow(missing);
      return previous;
    },
    emscripten_memcpy_big(destination: number, source: number, length: number): number {
      new Uint8Array(memory.buffer).copyWithin(destination, source, source + length);
      return destination;
    },
    // Built without threads: dav1d's default settings (one frame thread, one tile thread) never call these.
    pthread_cond_wait: none,
    pthread_cond_signal: none,
    pthread_cond_destroy: none,
    pthread_cond_init: none,
    pthread_cond_broadcast: none,
    pthread_join: none,
    pthread_create: none,
  };
  const instance = new WebAssembly.Instance(module, { env });
  return { exports: instance.exports as unknown as Dav1dExports, memory };
}

/**
 * Decodes one AV1 frame (a still image's OBUs: sequence header and frame) to 8-bit 4:2:0 planes.
 * Throws Dav1dError if dav1d refuses the data or the frame is not 8-bit 4:2:0; a WebAssembly trap
 * (RuntimeError) or a memory that cannot grow (RangeError) is thrown as it is.
 */
export async function decodeAv1Frame(obus: Uint8Array): Promise<I420Frame> {
  const { exports, memory } = instantiate(await loadModule());
  const context = exports.djs_init();
  if (!context) throw new Dav1dError('dav1d could not be initialised');
  const input = exports.djs_alloc_obu(obus.length);
  if (!input) throw new Dav1dError(`no memory for ${obus.length} bytes of AV1 data`);
  new Uint8Array(memory.buffer).set(obus, input);
  // The wrapper hands the input to dav1d, which frees it; on success it returns {width, height, size, data}.
  const frame = exports.djs_decode_obu(context, input, obus.length, FORMAT_YUV);
  if (!frame) throw new Dav1dError('dav1d refused the AV1 data (or it is not an 8-bit 4:2:0 frame)');
  const [width, height, size, data] = new Uint32Array(memory.buffer, frame, 4) as unknown as [
    number,
    number,
    number,
    number,
  ];
  const lumaSize = width * height;
  const chromaSize = ((width + 1) >> 1) * ((height + 1) >> 1);
  if (width === 0 || height === 0 || size !== lumaSize + 2 * chromaSize || data + size > memory.buffer.byteLength) {
    throw new Dav1dError(`dav1d returned an inconsistent frame (${width}x${height}, ${size} bytes)`);
  }
  const planes = new Uint8Array(memory.buffer, data, size);
  return {
    width,
    height,
    y: planes.subarray(0, lumaSize),
    u: planes.subarray(lumaSize, lumaSize + chromaSize),
    v: planes.subarray(lumaSize + chromaSize),
  };
}
