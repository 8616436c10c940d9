import { eventually } from './eventually';
import { listKeys, upload, type Stack } from './stack';
import { percentile } from './stats';

export interface UploadObject {
  readonly key: string;
  readonly body: Buffer;
}

export interface TrackedUploads {
  /** performance.now() when each upload completed. */
  readonly uploadedAt: Map<string, number>;
  /** performance.now() of the first listing that showed all of an object's thumbnails. */
  readonly completedAt: Map<string, number>;
  readonly startedAt: number;
  /** Set when not every expected object got its thumbnails in time. */
  readonly timedOut?: string;
}

/** Source key → the thumbnail labels listed for it (`<source key>/<WIDTHxHEIGHT>.<ext>`). */
function labelsBySource(thumbnailKeys: string[]): Map<string, Set<string>> {
  const bySource = new Map<string, Set<string>>();
  for (const key of thumbnailKeys) {
    const slash = key.lastIndexOf('/');
    const source = key.slice(0, slash);
    if (!bySource.has(source)) bySource.set(source, new Set());
    bySource.get(source)!.add(key.slice(slash + 1).replace(/\.\w+$/, ''));
  }
  return bySource;
}

/**
 * Uploads `objects` under `prefix`, at most `concurrency` at a time, while listing the prefix in the
 * thumbnails bucket every `pollIntervalMs` until each of `expectThumbnails` has all its thumbnails.
 * An object's latency is then the first listing showing them all minus its upload's completion, so it
 * is rounded up to the polling interval. Used by the end-to-end benchmark and the load test.
 */
export async function uploadAndTrack(
  stack: Stack,
  prefix: string,
  objects: readonly UploadObject[],
  expectThumbnails: readonly string[],
  options: { concurrency: number; timeoutMs: number; pollIntervalMs: number },
): Promise<TrackedUploads> {
  const labels = stack.sizes.map((size) => size.label);
  const expected = new Set(expectThumbnails);
  const uploadedAt = new Map<string, number>();
  const completedAt = new Map<string, number>();
  const startedAt = performance.now();
  let uploadError: unknown;
  let next = 0;
  const uploads = Promise.all(
    Array.from({ length: Math.min(options.concurrency, objects.length) }, async () => {
      while (next < objects.length && uploadError === undefined) {
        const { key, body } = objects[next++]!;
        await upload(stack.imagesBucket, key, body);
        uploadedAt.set(key, performance.now());
      }
    }),
  ).catch((error: unknown) => {
    uploadError ??= error;
  });

  let timedOut: string | undefined;
  await eventually(
    `thumbnails of ${expected.size} uploads under ${prefix}`,
    async () => {
      if (uploadError !== undefined) return 'upload failed';
      const listed = labelsBySource(await listKeys(stack.thumbnailsBucket, prefix));
      const now = performance.now();
      for (const [source, found] of listed) {
        // Counted only once its upload has completed, so a latency is never negative.
        if (uploadedAt.has(source) && !completedAt.has(source) && labels.every((label) => found.has(label))) {
          completedAt.set(source, now);
        }
      }
      const done = [...expected].filter((key) => completedAt.has(key)).length;
      process.stderr.write(`\r  uploaded ${uploadedAt.size}/${objects.length}, complete ${done}/${expected.size}`);
      return done === expected.size ? 'done' : undefined;
    },
    { timeoutMs: options.timeoutMs, intervalMs: options.pollIntervalMs },
  ).catch((error: unknown) => {
    timedOut = error instanceof Error ? error.message : String(error);
  });
  process.stderr.write('\n');
  await uploads;
  if (uploadError !== undefined) {
    throw new Error(`upload failed: ${uploadError instanceof Error ? uploadError.message : String(uploadError)}`);
  }
  return { uploadedAt, completedAt, startedAt, timedOut };
}

/** Throughput over the whole run and the upload → thumbnails latency percentiles of the completed objects. */
export function summarise(run: TrackedUploads) {
  const latencies = [...run.completedAt].map(([key, done]) => done - run.uploadedAt.get(key)!).sort((a, b) => a - b);
  const lastDone = Math.max(run.startedAt, ...run.completedAt.values());
  return {
    complete: run.completedAt.size,
    throughputPerSecond: run.completedAt.size === 0 ? 0 : run.completedAt.size / ((lastDone - run.startedAt) / 1000),
    latencyMs:
      latencies.length === 0
        ? undefined
        : {
            p50: percentile(latencies, 50),
            p95: percentile(latencies, 95),
            min: latencies[0]!,
            max: latencies.at(-1)!,
          },
    latencies,
  };
}
