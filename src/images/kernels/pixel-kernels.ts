import { KERNELS_WASM_BASE64 } from './kernels-wasm';

/**
 * Runs the render step's pixel loops in WebAssembly with SIMD (assembly/kernels.ts, compiled by
 * `npm run build:kernels`): several times faster than the same integer arithmetic in JavaScript. The
 * module is under 1 KB and compiles synchronously on first use.
 *
 * The kernels allocate nothing: a caller copies its pixels into the instance's memory (an arena it lays
 * out front to back), calls a kernel and copies the result out. One instance is kept between images;
 * one whose memory grew past RETAINED_BYTES for a large image is dropped afterwards, so that memory goes
 * with the image instead of staying with the container.
 */

export interface Kernels {
  /** See assembly/kernels.ts for what each kernel computes; addresses are byte offsets into `memory`. */
  shrinkColumns(
    source: number,
    rowBytes: number,
    height: number,
    starts: number,
    weights: number,
    taps: number,
    out: number,
  ): void;
  shrinkRows(
    source: number,
    sourceWidth: number,
    width: number,
    height: number,
    starts: number,
    pairWeights: number,
    pairs: number,
    out: number,
  ): void;
  dropAlpha(source: number, pixels: number, out: number): void;
}

interface KernelInstance extends Kernels {
  readonly memory: WebAssembly.Memory;
}

/** Room after every block for the kernels' vector loads and stores that run past its end. */
const SLACK = 16;
const PAGE_BYTES = 65_536;
/** Kept between images up to this size: a 1 MP photo's render needs about 11 MB, a 12 MP JPEG's 21. */
export const RETAINED_BYTES = 32 * 1024 * 1024;

let compiled: WebAssembly.Module | undefined;
let idle: KernelInstance | undefined;

function instantiate(): KernelInstance {
  compiled ??= new WebAssembly.Module(Buffer.from(KERNELS_WASM_BASE64, 'base64'));
  return new WebAssembly.Instance(compiled, {}).exports as unknown as KernelInstance;
}

/** Blocks of one instance's memory, laid out front to back for one piece of work. */
export class KernelArena {
  private top = 0;

  constructor(private readonly instance: KernelInstance) {}

  get kernels(): Kernels {
    return this.instance;
  }

  /** A block of `bytes` (16-byte aligned, with SLACK after it); returns its address. */
  allocate(bytes: number): number {
    const at = this.top;
    this.top += Math.ceil((bytes + SLACK) / 16) * 16;
    const missing = this.top - this.instance.memory.buffer.byteLength;
    if (missing > 0) this.instance.memory.grow(Math.ceil(missing / PAGE_BYTES));
    return at;
  }

  /** A block holding a copy of `data`; returns its address. */
  copyIn(data: ArrayBufferView): number {
    const at = this.allocate(data.byteLength);
    this.bytes(at, data.byteLength).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    return at;
  }

  /** A view of `length` bytes at `at`: valid until the next allocate (growing the memory detaches it). */
  bytes(at: number, length: number): Uint8Array {
    return new Uint8Array(this.instance.memory.buffer, at, length);
  }
}

/** Runs `work` with an arena on an instance no other work is using (a nested call gets another). */
export function withKernels<T>(work: (arena: KernelArena) => T): T {
  const instance = idle ?? instantiate();
  idle = undefined;
  try {
    return work(new KernelArena(instance));
  } finally {
    if (instance.memory.buffer.byteLength <= RETAINED_BYTES) idle = instance;
  }
}
