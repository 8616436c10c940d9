/**
 * `make test-load` (opt-in, not part of `make test`): 2,000 uploads to the deployed local stack, one in ten
 * of them hostile, while a proxy in front of S3 fails 5% of the function's object reads and writes. Every
 * object must end exactly once: all its thumbnails, or exactly one dead letter with the right reason.
 */
import { pngDeclaring } from '../support/fixtures';
import { startFaultInjectingProxy, type FaultInjectingProxy } from '../support/fault-injecting-proxy';
import { describeMachine, machine } from '../support/machine';
import { makePhotoJpeg } from '../support/sample-images';
import { deletePrefix, describeStack, listKeys, uniquePrefix, type Stack } from '../support/stack';
import { summarise, uploadAndTrack, type UploadObject } from '../support/tracked-uploads';
import { takeDeadLetters, type DeadLetter } from '../functional/support/dead-letters';
import {
  setThumbnailFunctionEnvironment,
  thumbnailFunctionEnvironment,
} from '../functional/support/thumbnail-function';

const COUNT = Number(process.env.LOAD_COUNT ?? 2000);
const POISON_EVERY = 10;
const S3_FAULT_RATE = 0.05;
const IN_FLIGHT = 25;
jest.setTimeout(45 * 60_000);

describe(`${COUNT} uploads, one in ${POISON_EVERY} hostile, ${S3_FAULT_RATE * 100}% of S3 object requests failing`, () => {
  let stack: Stack;
  let proxy: FaultInjectingProxy;
  let savedEnvironment: Record<string, string>;
  const prefix = uniquePrefix('load');

  beforeAll(async () => {
    stack = await describeStack();
    // The function reaches S3 through the proxy, SQS directly. MiniStack gives a function's own
    // variables precedence over the endpoint it sets itself, and the SDK takes AWS_ENDPOINT_URL_S3
    // over AWS_ENDPOINT_URL for S3 alone.
    proxy = await startFaultInjectingProxy({
      target: process.env.AWS_ENDPOINT_URL ?? 'http://localhost:4566',
      faultRate: S3_FAULT_RATE,
    });
    savedEnvironment = await thumbnailFunctionEnvironment();
    await setThumbnailFunctionEnvironment({ ...savedEnvironment, AWS_ENDPOINT_URL_S3: proxy.url });
  });

  afterAll(async () => {
    if (savedEnvironment) await setThumbnailFunctionEnvironment(savedEnvironment);
    await proxy?.close();
    if (stack) {
      await takeDeadLetters(stack, prefix, { expectKeys: [], timeoutMs: 60_000, quietMs: 0 });
      await deletePrefix(stack.imagesBucket, prefix);
      await deletePrefix(stack.thumbnailsBucket, prefix);
    }
  });

  it('gives every good image its thumbnails and every hostile file exactly one dead letter with its reason', async () => {
    const photo = await makePhotoJpeg(1024, 768, 11);
    const hostile: { name: string; body: Buffer; failureCode: string }[] = [
      { name: 'truncated.jpg', body: photo.subarray(0, 2048), failureCode: 'corrupt-image' },
      { name: 'bomb.png', body: await pngDeclaring(100_000, 100_000), failureCode: 'too-many-pixels' },
      { name: 'notes.jpg', body: Buffer.from('shopping list: milk, eggs'), failureCode: 'unsupported-format' },
      { name: 'empty.jpg', body: Buffer.alloc(0), failureCode: 'empty-object' },
    ];
    const expectedCode = new Map<string, string>();
    const objects: UploadObject[] = Array.from({ length: COUNT }, (_, i) => {
      if (i % POISON_EVERY !== 0) return { key: `${prefix}/photo-${i}.jpg`, body: photo };
      const kind = hostile[(i / POISON_EVERY) % hostile.length]!;
      const key = `${prefix}/hostile-${i}-${kind.name}`;
      expectedCode.set(key, kind.failureCode);
      return { key, body: kind.body };
    });
    const good = objects.map(({ key }) => key).filter((key) => !expectedCode.has(key));
    const poison = [...expectedCode.keys()];

    const run = await uploadAndTrack(stack, prefix, objects, good, {
      concurrency: IN_FLIGHT,
      timeoutMs: 30 * 60_000,
      pollIntervalMs: 500,
    });
    // Read (and delete) dead letters until one for every hostile file has come, then 30 s more, so that a
    // second dead letter for any object (good or hostile) is caught too.
    const { letters, missing } = await takeDeadLetters(stack, prefix, {
      expectKeys: poison,
      timeoutMs: 10 * 60_000,
      quietMs: 30_000,
    });
    const summary = summarise(run);

    // Exactly one outcome per object: thumbnails XOR exactly one dead letter.
    const lettersByKey = new Map<string, DeadLetter[]>();
    for (const letter of letters) {
      for (const key of letter.keys) lettersByKey.set(key, [...(lettersByKey.get(key) ?? []), letter]);
    }
    const withThumbnails = new Set(run.completedAt.keys());
    const outcomes = objects.map(({ key }) => (withThumbnails.has(key) ? 1 : 0) + (lettersByKey.get(key)?.length ?? 0));
    const lost = objects.filter((_, i) => outcomes[i] === 0).map(({ key }) => key);
    const duplicated = objects.filter((_, i) => outcomes[i]! > 1).map(({ key }) => key);
    const wrongCode = poison.filter(
      (key) => lettersByKey.get(key)?.[0]?.attributes['failure-code'] !== expectedCode.get(key),
    );
    const uploaded = new Set(objects.map(({ key }) => key));
    const strangers = letters.filter(
      (letter) => letter.keys.length === 0 || letter.keys.some((key) => !uploaded.has(key)),
    );
    const { objectRequests, slowDown, reset } = proxy.counts;

    console.log(
      [
        `Machine: ${describeMachine(machine())}`,
        `${COUNT} uploads (${poison.length} hostile: truncated JPEG, PNG bomb header, text as .jpg, empty), ` +
          `${IN_FLIGHT} in flight`,
        `S3 faults injected: ${slowDown} SlowDown + ${reset} resets in ${objectRequests} object requests of the function ` +
          `(${(((slowDown + reset) / Math.max(1, objectRequests)) * 100).toFixed(1)}%)`,
        `${withThumbnails.size} with thumbnails, ${lettersByKey.size} dead-lettered (${letters.length} dead letters), ` +
          `${lost.length} lost, ${duplicated.length} with more than one outcome, ${wrongCode.length} with a wrong reason`,
        `throughput ${summary.throughputPerSecond.toFixed(1)} images/s; upload → thumbnails latency ` +
          `p50 ${summary.latencyMs?.p50.toFixed(0)} ms, p95 ${summary.latencyMs?.p95.toFixed(0)} ms ` +
          `(max ${summary.latencyMs?.max.toFixed(0)} ms, polling every 500 ms)`,
      ].join('\n'),
    );
    expect(run.timedOut).toBeUndefined();
    expect(missing).toEqual([]);
    expect(lost).toEqual([]);
    expect(duplicated).toEqual([]);
    expect(wrongCode).toEqual([]);
    expect(strangers).toEqual([]);
    expect([...withThumbnails].sort()).toEqual([...good].sort());
    // The faults did reach the function: every good image was read through the proxy at least once.
    expect(objectRequests).toBeGreaterThanOrEqual(good.length);
    expect(slowDown).toBeGreaterThan(0);
    expect(reset).toBeGreaterThan(0);
    for (const key of poison.slice(0, 8)) expect(await listKeys(stack.thumbnailsBucket, `${key}/`)).toEqual([]);
  });
});
