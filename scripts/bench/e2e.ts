/**
 * --e2e: the deployed stack end to end (stage `local` unless STAGE says otherwise). Uploads --count copies
 * of a 1600x1200 photo-like JPEG to the images bucket under a prefix of its own, at most --concurrency in
 * flight, while listing that prefix in the thumbnails bucket every 250 ms until every object has all its
 * thumbnails. An object's latency = the first listing showing all its thumbnails − its upload's completion
 * (so it is rounded up to the polling interval); throughput = objects / (that last listing − the first
 * upload's start). Both buckets' prefixes are deleted at the end, whatever happened.
 * Needs the environment the Makefile sets for the local stage (AWS_ENDPOINT_URL=http://localhost:4566,
 * AWS_ACCESS_KEY_ID=test, AWS_SECRET_ACCESS_KEY=test, AWS_REGION=us-east-1).
 */
import { randomBytes } from 'node:crypto';
import { eventually } from '../lib/eventually';
import { makePhotoJpeg } from '../lib/sample-images';
import { deletePrefix, describeStack, listKeys, STACK_NAME, upload, type Stack } from '../lib/stack';
import { describeMachine, errorMessage, machine, percentile, writeReport } from './report';

export interface E2eOptions {
  readonly count: number;
  readonly concurrency: number;
  readonly timeoutMs: number;
  readonly json: string;
}

const POLL_INTERVAL_MS = 250;
const LOCAL_ENV =
  'AWS_ENDPOINT_URL=http://localhost:4566 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1';

async function findStack(endpoint: string): Promise<Stack> {
  try {
    return await describeStack();
  } catch (error) {
    throw new Error(
      `cannot reach stack ${STACK_NAME} at ${endpoint}: ${errorMessage(error)}\n` +
        `Deploy the local stack first (make deploy-local) and run with the environment the Makefile sets:\n  ${LOCAL_ENV}`,
    );
  }
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

export async function runE2e(options: E2eOptions): Promise<boolean> {
  const endpoint = process.env.AWS_ENDPOINT_URL ?? 'AWS (AWS_ENDPOINT_URL is not set)';
  console.log(`Machine: ${describeMachine(machine())}`);
  const stack = await findStack(endpoint);
  const labels = stack.sizes.map((size) => size.label);
  const body = await makePhotoJpeg(1600, 1200, 7);
  const prefix = `bench-e2e-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}/`;
  const keys = Array.from({ length: options.count }, (_, i) => `${prefix}${String(i).padStart(5, '0')}.jpg`);
  console.log(`Stack ${STACK_NAME} at ${endpoint}: sizes ${labels.join(', ')}`);
  console.log(
    `Uploading ${keys.length} × 1600x1200 JPEG (${(body.length / 1024).toFixed(0)} KiB) to s3://${stack.imagesBucket}/${prefix}` +
      `, ${options.concurrency} in flight`,
  );

  const uploadedAt = new Map<string, number>();
  const doneAt = new Map<string, number>();
  const started = performance.now();
  let uploadError: unknown;
  let next = 0;
  const uploads = Promise.all(
    Array.from({ length: Math.min(options.concurrency, keys.length) }, async () => {
      while (next < keys.length && uploadError === undefined) {
        const key = keys[next++]!;
        await upload(stack.imagesBucket, key, body);
        uploadedAt.set(key, performance.now());
      }
    }),
  ).catch((error: unknown) => {
    uploadError ??= error;
  });

  let timedOut: string | undefined;
  try {
    await eventually(
      `thumbnails of ${keys.length} uploads under ${prefix}`,
      async () => {
        if (uploadError !== undefined) return 'upload failed';
        const listed = labelsBySource(await listKeys(stack.thumbnailsBucket, prefix));
        const now = performance.now();
        for (const [source, found] of listed) {
          // Counted only once its upload has completed, so a latency is never negative.
          if (uploadedAt.has(source) && !doneAt.has(source) && labels.every((label) => found.has(label))) {
            doneAt.set(source, now);
          }
        }
        process.stderr.write(`\r  uploaded ${uploadedAt.size}/${keys.length}, complete ${doneAt.size}/${keys.length}`);
        return doneAt.size === keys.length ? 'done' : undefined;
      },
      { timeoutMs: options.timeoutMs, intervalMs: POLL_INTERVAL_MS },
    ).catch((error: unknown) => {
      timedOut = errorMessage(error);
    });
    process.stderr.write('\n');
    await uploads;
    if (uploadError !== undefined) throw new Error(`upload failed: ${errorMessage(uploadError)}`);
  } finally {
    console.log(`Deleting ${prefix} from both buckets`);
    await deletePrefix(stack.imagesBucket, prefix);
    await deletePrefix(stack.thumbnailsBucket, prefix);
  }

  const latencies = keys
    .filter((key) => doneAt.has(key))
    .map((key) => doneAt.get(key)! - uploadedAt.get(key)!)
    .sort((a, b) => a - b);
  const lastDone = Math.max(started, ...doneAt.values());
  const throughput = doneAt.size === 0 ? 0 : doneAt.size / ((lastDone - started) / 1000);
  const summary = {
    complete: doneAt.size,
    throughputPerSecond: throughput,
    latencyMs:
      latencies.length === 0
        ? undefined
        : { p50: percentile(latencies, 50), p95: percentile(latencies, 95), min: latencies[0], max: latencies.at(-1) },
    wallSeconds: (performance.now() - started) / 1000,
  };
  console.log(
    `\n${doneAt.size}/${keys.length} objects complete; throughput ${throughput.toFixed(2)} objects/s;` +
      ` latency upload → last thumbnail p50 ${summary.latencyMs?.p50.toFixed(0) ?? '-'} ms,` +
      ` p95 ${summary.latencyMs?.p95.toFixed(0) ?? '-'} ms (polling every ${POLL_INTERVAL_MS} ms)`,
  );
  if (timedOut) {
    console.log(`FAIL ${timedOut}; thumbnails still being made may appear under ${prefix} after this cleanup`);
  }
  await writeReport(options.json, {
    mode: 'e2e',
    machine: machine(),
    stack: STACK_NAME,
    endpoint,
    options: { count: options.count, concurrency: options.concurrency, timeoutMs: options.timeoutMs },
    sizes: labels,
    imageBytes: body.length,
    ...summary,
    latenciesMs: latencies,
    error: timedOut,
  });
  return timedOut === undefined;
}
