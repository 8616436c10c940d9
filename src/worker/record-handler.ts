import type { SQSRecord } from 'aws-lambda';
import { handleRecord, type RecordDependencies } from '../thumbnail/handle-record';
import type { RenderWorker } from '../thumbnail/render-worker';
import type { RecordHandler } from './loop';
import type { WorkerStats } from './stats';

type Extra = Record<string, unknown>;
type RecordLog = RecordDependencies['log'];

/** Where the worker's lines go (src/worker/console.ts on a terminal). */
export interface LinePrinter {
  line(text: string): void;
  warn(text: string): void;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * The record handling's log (the lines the function writes as JSON, one per object) as one readable line
 * per object, counted in the statistics.
 */
export function messageLog(record: SQSRecord, print: LinePrinter, stats: WorkerStats): RecordLog {
  const describe = (message: string, fields: Extra): string => {
    const object =
      fields.key === undefined ? `message ${record.messageId}` : `s3://${text(fields.bucket)}/${text(fields.key)}`;
    const reason = fields.reason === undefined ? '' : `: ${text(fields.reason)}`;
    switch (fields.outcome) {
      case 'success':
        stats.countObject(text(fields.sourceFormat ?? 'unknown'));
        return `ok        ${object} -> ${(fields.sizes as string[] | undefined)?.join(' ') ?? ''} (${text(fields.durationMs)} ms)`;
      case 'skipped':
      case 'ignored':
        stats.skipped += 1;
        return `${String(fields.outcome).padEnd(9)} ${object}${reason}`;
      case 'failure':
        return `failed    ${object}${reason} (${fields.permanent ? 'permanent' : 'transient: SQS delivers it again'})`;
      case 'dead-lettered':
        return `dead      message ${record.messageId} -> dead-letter queue, ${text(fields.failureCode)}`;
      case undefined:
        return `${message} ${JSON.stringify(fields)}`;
      default:
        return `${String(fields.outcome).padEnd(9)} ${object}${reason}`;
    }
  };
  const write = (message: string, extras: Extra[]) => print.line(describe(message, Object.assign({}, ...extras)));
  return {
    info: (message, ...extras) => write(message, extras),
    error: (message, ...extras) => write(message, extras),
    warn: (message, ...extras) => print.warn(`warning   ${message} ${JSON.stringify(Object.assign({}, ...extras))}`),
  };
}

/** One render worker per slot, so `concurrency` messages render at once (one render per worker). */
export interface RenderPool {
  acquire(): RenderWorker;
  release(worker: RenderWorker): void;
  close(): Promise<void>;
}

export function renderPool(size: number, create: () => RenderWorker): RenderPool {
  const all = Array.from({ length: size }, create);
  const free = [...all];
  return {
    acquire() {
      const worker = free.pop();
      // The loop never has more messages in flight than there are workers.
      if (!worker) throw new Error('no free render worker: more messages in flight than the concurrency');
      return worker;
    },
    release: (worker) => void free.push(worker),
    close: async () => void (await Promise.all(all.map((worker) => worker.close()))),
  };
}

/** The loop's record handler: the thumbnail function's handleRecord, with a worker slot's render. */
export function workerRecordHandler(
  shared: Omit<RecordDependencies, 'log' | 'render'>,
  renderers: RenderPool,
  print: LinePrinter,
  stats: WorkerStats,
): RecordHandler {
  return async (record, remainingTimeMs) => {
    const renderer = renderers.acquire();
    try {
      const log = messageLog(record, print, stats);
      const outcome = await handleRecord(record, remainingTimeMs, { ...shared, render: renderer.render, log });
      return outcome === 'dead-lettered' ? 'dead-lettered' : 'succeeded';
    } finally {
      renderers.release(renderer);
    }
  };
}
