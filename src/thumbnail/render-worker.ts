import { isMainThread, parentPort, Worker, workerData, type MessagePort } from 'node:worker_threads';
import { ImageTooLargeError, PermanentFailure, RenderStoppedError, UnreadableImageError } from '../errors';
import type { RenderLimits } from './settings';
import type { BoundingBox } from './sizes';
import type { RenderedThumbnail, RenderOptions } from '../images/render';

/**
 * The one import of the render step (decode, resize, encode): swapping the decode layer changes this line.
 * Loaded in the worker only, when it starts: the function's own thread, which just posts images to the
 * worker, never loads the codecs' JavaScript, and its cold start does not pay for it.
 */
// require, not import(): the worker also runs this file from source through tsx's require hook (tests),
// where import() would go to Node's own ESM loader, which cannot resolve a TypeScript path.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const loadRenderStep = async () => require('../images/render') as typeof import('../images/render');

export type { RenderedThumbnail, RenderOptions };

/** Turns a source image into one thumbnail per box. */
export type Render = (
  source: Buffer,
  boxes: readonly BoundingBox[],
  options: RenderOptions,
) => Promise<RenderedThumbnail[]>;

export interface RenderWorker {
  readonly render: Render;
  /** Workers started so far: 1 while none was stopped (for logs and tests). */
  readonly workersStarted: number;
  /** Stops the worker (a later render starts a new one). */
  close(): Promise<void>;
}

/** Marks the thread started by createRenderWorker, whichever file it runs (source or Lambda bundle). */
export const WORKER_ROLE = 'thumbnail-render-worker';
/** A worker that has not loaded its code by then is broken; the record is retried. */
const STARTUP_TIMEOUT_MS = 30_000;

interface RenderRequest {
  readonly id: number;
  readonly source: Uint8Array;
  readonly boxes: readonly BoundingBox[];
  readonly options: RenderOptions;
}

interface SerializedError {
  readonly name: string;
  readonly message: string;
  /** Set for a PermanentFailure. */
  readonly code?: PermanentFailure['code'];
}

type WorkerReply =
  | { readonly type: 'ready' }
  | { readonly type: 'done'; readonly id: number; readonly thumbnails: RenderedThumbnail[] }
  | { readonly type: 'failed'; readonly id: number; readonly error: SerializedError };

// ---- inside the worker ----

function serializeError(error: unknown): SerializedError {
  if (error instanceof PermanentFailure) return { name: error.name, message: error.message, code: error.code };
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}

/** An 8x8 grey JPEG: rendering it once compiles the JPEG codecs before the worker reports ready. */
const WARM_UP_JPEG =
  '/9j/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4UG1RV19iZ2hnPk1xeXBkeFxlZ2P/2wBDARESEhgVGC8aGi9jQjhCY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2P/wAARCAAIAAgDASIAAhEBAxEB/8QAFAABAAAAAAAAAAAAAAAAAAAAAP/EABQQAQAAAAAAAAAAAAAAAAAAAAD/xAAUAQEAAAAAAAAAAAAAAAAAAAAA/8QAFBEBAAAAAAAAAAAAAAAAAAAAAP/aAAwDAQACEQMRAD8AAA//2Q==';

/**
 * Compiling the WebAssembly codecs is start-up, not a render: done before `ready`, it is charged to no
 * image's budget. Best effort: a failure here shows again, with its real cause, on the first render.
 */
async function warmUp({ loadLargeJpegEncoder, renderThumbnails }: RenderStep): Promise<void> {
  try {
    await renderThumbnails(Buffer.from(WARM_UP_JPEG, 'base64'), [{ width: 4, height: 4, label: '4x4' }], {
      outputFormat: 'jpeg',
      quality: 80,
      budget: { maxPixels: 64, maxBytes: 1_000_000 },
    });
    await loadLargeJpegEncoder();
  } catch {
    // See above.
  }
}

type RenderStep = Awaited<ReturnType<typeof loadRenderStep>>;

async function serveRenders(port: MessagePort): Promise<void> {
  const renderStep = await loadRenderStep();
  const { renderThumbnails } = renderStep;
  await warmUp(renderStep);
  port.on('message', async ({ id, source, boxes, options }: RenderRequest) => {
    try {
      const thumbnails = await renderThumbnails(
        Buffer.from(source.buffer, source.byteOffset, source.byteLength),
        boxes,
        options,
      );
      port.postMessage({ type: 'done', id, thumbnails } satisfies WorkerReply);
    } catch (error) {
      port.postMessage({ type: 'failed', id, error: serializeError(error) } satisfies WorkerReply);
    }
  });
  port.postMessage({ type: 'ready' } satisfies WorkerReply);
}

// The Lambda bundle is one file, so the worker runs that same file: this is where it becomes a worker.
if (!isMainThread && (workerData as { role?: string } | null)?.role === WORKER_ROLE) void serveRenders(parentPort!);

// ---- in the function ----

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
 * The worker runs this very file: the Lambda bundle (one .js file holding this module) or, from source
 * (jest, tsx), this .ts file, loaded through tsx's require hook (a dev dependency, never in the bundle).
 */
function workerEntry(): { readonly code: string; readonly eval: boolean } {
  if (!__filename.endsWith('.ts')) return { code: __filename, eval: false };
  const load = [require.resolve('tsx/cjs'), __filename].map((file) => `require(${JSON.stringify(file)});`);
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
 * use and kept for the container's life, so its start-up is paid once, and again only after a stop.
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
