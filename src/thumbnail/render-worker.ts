import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ImageTooLargeError, PermanentFailure, RenderStoppedError, UnreadableImageError } from '../errors';
import type { RenderedThumbnail, RenderOptions } from '../images/render';
import {
  RENDER_THREAD_BUNDLE,
  WORKER_ROLE,
  type RenderRequest,
  type SerializedError,
  type WorkerReply,
} from './render-protocol';
import type { RenderLimits } from './settings';
import type { BoundingBox } from './sizes';

export type { RenderedThumbnail, RenderOptions };

/** Turns a source image into one thumbnail per box. */
export type Render = (
  source: Buffer,
  boxes: readonly BoundingBox[],
  options: RenderOptions,
) => Promise<RenderedThumbnail[]>;

export interface RenderWorker {
  readonly render: Render;
  /**
   * Starts the worker now if none is running, without waiting for it: called as an invocation begins,
   * so that its start-up (loading the render step, compiling the JPEG codecs) overlaps the first
   * record's read from S3 rather than following it.
   */
  prestart(): void;
  /** Workers started so far: 1 while none was stopped (for logs and tests). */
  readonly workersStarted: number;
  /** Stops the worker (a later render starts a new one). */
  close(): Promise<void>;
}

/** A worker that has not loaded its code by then is broken; the record is retried. */
const STARTUP_TIMEOUT_MS = 30_000;

/** The failure classes a render throws, rebuilt on this side of the thread boundary. */
const PERMANENT_CLASSES: Record<string, new (code: PermanentFailure['code'], message: string) => PermanentFailure> = {
  UnreadableImageError,
  ImageTooLargeError,
};

function rebuildError({ name, message, code }: SerializedError): Error {
  if (code !== undefined) {
    const Class = PERMANENT_CLASSES[name];
    if (Class) return new Class(code, message);
    const failure = new PermanentFailure(code, message);
    Object.defineProperty(failure, 'name', { value: name });
    return failure;
  }
  // Not the image's fault (e.g. a codec failed to load): transient, the message is retried.
  const error = new Error(message);
  error.name = name;
  return error;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * What the thread runs: in the Lambda package, the render thread's bundle beside this one (the
 * function's own bundle holds none of the render step); from source (jest, tsx), render-thread.ts through
 * tsx's require hook (a dev dependency, never in the bundle).
 */
function workerEntry(): { readonly code: string; readonly eval: boolean } {
  if (!__filename.endsWith('.ts')) return { code: join(__dirname, RENDER_THREAD_BUNDLE), eval: false };
  const load = [require.resolve('tsx/cjs'), join(__dirname, 'render-thread.ts')].map(
    (file) => `require(${JSON.stringify(file)});`,
  );
  return { code: load.join(' '), eval: true };
}

interface Pending {
  readonly id: number;
  resolve(thumbnails: RenderedThumbnail[]): void;
  reject(error: Error): void;
}

interface LiveWorker {
  readonly thread: Worker;
  readonly ready: Promise<void>;
  pending: Pending | undefined;
}

/**
 * Renders in a worker thread, one image at a time. The render is synchronous CPU work (WebAssembly and
 * JavaScript) that no timer in the same thread can interrupt; in a worker it can be stopped: a render
 * over its budget has its worker terminated, and so has one that exhausts the worker's heap
 * (resourceLimits), while the function carries on with the next record. The worker is started on first
 * use (or prestart) and kept for the container's life, so its start-up is paid once, and again only
 * after a stop.
 */
export function createRenderWorker(limits: RenderLimits): RenderWorker {
  let live: LiveWorker | undefined;
  let nextId = 0;
  let queue: Promise<unknown> = Promise.resolve();

  function discard(worker: LiveWorker, error: Error): void {
    if (live === worker) live = undefined;
    const { pending } = worker;
    worker.pending = undefined;
    pending?.reject(error);
    void worker.thread.terminate();
  }

  let workersStarted = 0;

  function start(): LiveWorker {
    workersStarted += 1;
    const entry = workerEntry();
    const thread = new Worker(entry.code, {
      eval: entry.eval,
      workerData: { role: WORKER_ROLE },
      resourceLimits: { maxOldGenerationSizeMb: limits.maxHeapMb },
    });
    let markReady: () => void;
    let failStart: (error: Error) => void;
    const worker: LiveWorker = {
      thread,
      pending: undefined,
      ready: new Promise<void>((resolve, reject) => {
        markReady = resolve;
        failStart = reject;
      }),
    };
    // Rejections of `ready` are observed by whoever awaits it; this keeps an unawaited one quiet.
    worker.ready.catch(() => undefined);
    const startup = setTimeout(() => {
      const error = new Error(`the render worker did not start within ${STARTUP_TIMEOUT_MS} ms`);
      failStart(error);
      discard(worker, error);
    }, STARTUP_TIMEOUT_MS);
    thread.on('message', (reply: WorkerReply) => {
      if (reply.type === 'ready') {
        started = true;
        clearTimeout(startup);
        markReady();
        return;
      }
      const { pending } = worker;
      if (!pending || pending.id !== reply.id) return;
      worker.pending = undefined;
      if (reply.type === 'done') {
        pending.resolve(reply.thumbnails.map((thumbnail) => ({ ...thumbnail, body: asBuffer(thumbnail.body) })));
      } else {
        pending.reject(rebuildError(reply.error));
      }
    });
    let started = false;
    thread.on('error', (cause: Error & { code?: string }) => {
      clearTimeout(startup);
      // Out of memory while loading the code is the configuration's fault, not the image's: transient.
      const error =
        started && cause.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? new RenderStoppedError(
              'render-out-of-memory',
              `the render ran out of the worker's ${limits.maxHeapMb} MB heap (RENDER_WORKER_MAX_HEAP_MB) and was stopped`,
            )
          : new Error(`the render worker failed: ${cause.name}: ${cause.message}`);
      failStart(error);
      discard(worker, error);
    });
    thread.on('exit', (exitCode) => {
      clearTimeout(startup);
      const error = new Error(`the render worker exited with code ${exitCode}`);
      failStart(error);
      discard(worker, error);
    });
    // An idle worker must not keep the process alive (a test run, a script). Unref'd after the listeners
    // are attached: attaching a 'message' listener refs the worker's port again.
    thread.unref();
    return worker;
  }

  async function renderNow(source: Buffer, boxes: readonly BoundingBox[], options: RenderOptions) {
    live ??= start();
    const worker = live;
    // Start-up (loading the code) is not part of the render's budget.
    await worker.ready;
    return new Promise<RenderedThumbnail[]>((resolve, reject) => {
      const id = ++nextId;
      const timer = setTimeout(() => {
        discard(
          worker,
          new RenderStoppedError(
            'render-timed-out',
            `the render took longer than its budget of ${limits.budgetMs} ms (RENDER_BUDGET_MS) and was stopped`,
          ),
        );
      }, limits.budgetMs);
      // Held while a render is pending, so a process with nothing else to do waits for it.
      worker.thread.ref();
      const settle = () => {
        clearTimeout(timer);
        worker.thread.unref();
      };
      worker.pending = {
        id,
        resolve: (thumbnails) => {
          settle();
          resolve(thumbnails);
        },
        reject: (error) => {
          settle();
          reject(error);
        },
      };
      // Copied, not transferred: the caller's buffer may share memory with other buffers.
      worker.thread.postMessage({ id, source, boxes, options } satisfies RenderRequest);
    });
  }

  return {
    // One render at a time: the worker holds one decoded image, and the function has one vCPU or less.
    render(source, boxes, options) {
      const result = queue.then(() => renderNow(source, boxes, options));
      queue = result.catch(() => undefined);
      return result;
    },
    prestart() {
      live ??= start();
    },
    get workersStarted() {
      return workersStarted;
    },
    async close() {
      const worker = live;
      live = undefined;
      if (worker) await worker.thread.terminate();
    },
  };
}
