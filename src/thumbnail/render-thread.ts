// First, so that errors thrown while the other modules load are source-mapped too.
import '../source-mapped-stack-traces';
import { isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { PermanentFailure } from '../errors';
import { loadLargeJpegEncoder, renderThumbnails } from '../images/render';
import { WORKER_ROLE, type RenderRequest, type SerializedError, type WorkerReply } from './render-protocol';

/**
 * The render thread: decode, resize and encode, one image at a time, for the function's thread
 * (render-worker.ts), which starts it and can stop it. The only place the render step (the codecs'
 * JavaScript and WebAssembly) is loaded: in the Lambda package this is its own bundle, so the function's
 * module load and the thread's start each load only what they use.
 */

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
async function warmUp(): Promise<void> {
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

async function serveRenders(port: MessagePort): Promise<void> {
  await warmUp();
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

// Only in a thread createRenderWorker started: importing this file elsewhere (a test) does nothing.
if (!isMainThread && (workerData as { role?: string } | null)?.role === WORKER_ROLE) void serveRenders(parentPort!);
