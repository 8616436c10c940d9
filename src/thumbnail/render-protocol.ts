import type { PermanentFailure } from '../errors';
import type { RenderedThumbnail, RenderOptions } from '../images/render';
import type { BoundingBox } from './sizes';

/**
 * The messages between the function's thread (render-worker.ts) and the render thread
 * (render-thread.ts). Types and constants only: both sides import this, and the function's thread must
 * not load the render step.
 */

/** Marks a thread started by createRenderWorker. */
export const WORKER_ROLE = 'thumbnail-render-worker';

/**
 * The render thread's bundle, beside the handler's in the package (plugins/esbuild/render-thread-bundle.js
 * builds it from render-thread.ts).
 */
export const RENDER_THREAD_BUNDLE = 'render-thread.js';

export interface RenderRequest {
  readonly id: number;
  readonly source: Uint8Array;
  readonly boxes: readonly BoundingBox[];
  readonly options: RenderOptions;
}

export interface SerializedError {
  readonly name: string;
  readonly message: string;
  /** Set for a PermanentFailure. */
  readonly code?: PermanentFailure['code'];
}

export type WorkerReply =
  | { readonly type: 'ready' }
  | { readonly type: 'done'; readonly id: number; readonly thumbnails: RenderedThumbnail[] }
  | { readonly type: 'failed'; readonly id: number; readonly error: SerializedError };
