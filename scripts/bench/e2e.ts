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
import { makePhotoJpeg } from '../../tests/support/sample-images';
import { deletePrefix, describeStack, STACK_NAME, type Stack } from '../../tests/support/stack';
import { summarise, uploadAndTrack } from '../../tests/support/tracked-uploads';
import { describeMachine, errorMessage, machine, writeReport } from './report';

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

  const objects = keys.map((key) => ({ key, body }));
  let run;
  try {
    run = await uploadAndTrack(stack, prefix, objects, keys, {
      concurrency: options.concurrency,
      timeoutMs: options.timeoutMs,
      pollIntervalMs: POLL_INTERVAL_MS,
    });
  } finally {
    console.log(`Deleting ${prefix} from both buckets`);
    await deletePrefix(stack.imagesBucket, prefix);
    await deletePrefix(stack.thumbnailsBucket, prefix);
  }
  const timedOut = run.timedOut;
  const { latencies, ...summary } = summarise(run);
  const doneAt = run.completedAt;
  const throughput = summary.throughputPerSecond;
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
    wallSeconds: (performance.now() - run.startedAt) / 1000,
    latenciesMs: latencies,
    error: timedOut,
  });
  return timedOut === undefined;
}
