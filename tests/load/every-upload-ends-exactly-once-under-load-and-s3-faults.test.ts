/**
 * `make test-load` (opt-in, not part of `make test`): 500 concurrent uploads to the deployed local
 * stack, one in ten of them poison, and proof that every object ends up somewhere visible.
 */
import { describeMachine, machine } from '../../scripts/bench/report';
import { eventually } from '../support/eventually';
import { makePhotoJpeg } from '../support/sample-images';
import { deletePrefix, describeStack, listKeys, uniquePrefix, type Stack } from '../support/stack';
import { summarise, uploadAndTrack, type UploadObject } from '../support/tracked-uploads';
import { deadLettersFor, deleteDeadLetters, type DeadLetter } from '../functional/support/dead-letters';

const COUNT = Number(process.env.LOAD_COUNT ?? 500);
const POISON_EVERY = 10;
jest.setTimeout(30 * 60_000);

/** Reads every dead-letter message under `prefix`, hiding each while reading so none is seen twice. */
async function readDeadLetters(stack: Stack, prefix: string, expected: number): Promise<Map<string, DeadLetter>> {
  const byKey = new Map<string, DeadLetter>();
  await eventually(
    `${expected} dead-letter messages under ${prefix}`,
    async () => {
      for (const letter of await deadLettersFor(stack, prefix, 300)) {
        for (const key of letter.keys) byKey.set(key, letter);
      }
      return byKey.size >= expected ? true : undefined;
    },
    { timeoutMs: 10 * 60_000, intervalMs: 100 },
  );
  return byKey;
}

describe(`${COUNT} concurrent uploads, one in ${POISON_EVERY} poison`, () => {
  let stack: Stack;
  const prefix = uniquePrefix('load');
  let deadLetters = new Map<string, DeadLetter>();

  beforeAll(async () => {
    stack = await describeStack();
  });

  afterAll(async () => {
    await deleteDeadLetters(stack, [...deadLetters.values()]);
    await deletePrefix(stack.imagesBucket, prefix);
    await deletePrefix(stack.thumbnailsBucket, prefix);
  });

  it('gives every good image all its thumbnails and every poison object a dead-letter reason: nothing is lost', async () => {
    const photo = await makePhotoJpeg(1024, 768, 11);
    const poisons = [Buffer.from('not an image'), photo.subarray(0, 2048), Buffer.alloc(0)];
    const objects: UploadObject[] = Array.from({ length: COUNT }, (_, i) =>
      i % POISON_EVERY === 0
        ? { key: `${prefix}/poison-${i}.jpg`, body: poisons[(i / POISON_EVERY) % poisons.length]! }
        : { key: `${prefix}/photo-${i}.jpg`, body: photo },
    );
    const good = objects.filter(({ key }) => key.includes('/photo-')).map(({ key }) => key);
    const poison = objects.filter(({ key }) => key.includes('/poison-')).map(({ key }) => key);

    const run = await uploadAndTrack(stack, prefix, objects, good, {
      concurrency: 25,
      timeoutMs: 20 * 60_000,
      pollIntervalMs: 500,
    });
    deadLetters = await readDeadLetters(stack, prefix, poison.length);
    const summary = summarise(run);

    // Every object is accounted for exactly once: thumbnails or a dead letter, never both, never neither.
    const withThumbnails = new Set(run.completedAt.keys());
    const deadLettered = new Set(deadLetters.keys());
    const lost = objects.filter(({ key }) => !withThumbnails.has(key) && !deadLettered.has(key)).map(({ key }) => key);
    const both = [...withThumbnails].filter((key) => deadLettered.has(key));
    console.log(
      [
        `Machine: ${describeMachine(machine())}`,
        `${COUNT} uploads (${poison.length} poison), 25 in flight: ${withThumbnails.size} with thumbnails, ` +
          `${deadLettered.size} dead-lettered, ${lost.length} lost`,
        `throughput ${summary.throughputPerSecond.toFixed(1)} images/s; upload → thumbnails latency ` +
          `p50 ${summary.latencyMs?.p50.toFixed(0)} ms, p95 ${summary.latencyMs?.p95.toFixed(0)} ms ` +
          `(max ${summary.latencyMs?.max.toFixed(0)} ms, polling every 500 ms)`,
      ].join('\n'),
    );
    expect(run.timedOut).toBeUndefined();
    expect(lost).toEqual([]);
    expect(both).toEqual([]);
    expect([...withThumbnails].sort()).toEqual([...good].sort());
    expect([...deadLettered].sort()).toEqual([...poison].sort());
    expect(
      [...deadLetters.values()].every(({ attributes }) =>
        ['unsupported-format', 'corrupt-image', 'empty-object'].includes(attributes['failure-code'] ?? ''),
      ),
    ).toBe(true);
    for (const key of poison.slice(0, 5)) expect(await listKeys(stack.thumbnailsBucket, `${key}/`)).toEqual([]);
  });
});
