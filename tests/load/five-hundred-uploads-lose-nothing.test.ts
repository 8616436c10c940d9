/**
 * `make test-load` (opt-in, not part of `make test`): 500 concurrent uploads to the deployed local
 * stack, one in ten of them poison, and proof that every object ends up somewhere visible.
 */
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { describeMachine, machine } from '../../scripts/bench/report';
import { eventually } from '../../scripts/lib/eventually';
import { makePhotoJpeg } from '../../scripts/lib/sample-images';
import { deletePrefix, describeStack, listKeys, sqs, uniquePrefix, type Stack } from '../../scripts/lib/stack';
import { summarise, uploadAndTrack, type UploadObject } from '../../scripts/lib/tracked-uploads';
import { parseImageMessage } from '../../src/thumbnail/s3-event';

const COUNT = Number(process.env.LOAD_COUNT ?? 500);
const POISON_EVERY = 10;
jest.setTimeout(30 * 60_000);

interface DeadLetter {
  key: string;
  code: string | undefined;
  receiptHandle: string;
}

/** Reads every dead-letter message under `prefix`, hiding each while reading so none is seen twice. */
async function readDeadLetters(stack: Stack, prefix: string, expected: number): Promise<DeadLetter[]> {
  const found = new Map<string, DeadLetter>();
  await eventually(
    `${expected} dead-letter messages under ${prefix}`,
    async () => {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: stack.deadLetterQueueUrl,
          MaxNumberOfMessages: 10,
          MessageAttributeNames: ['All'],
          VisibilityTimeout: 300,
          WaitTimeSeconds: 1,
        }),
      );
      for (const message of Messages) {
        const parsed = parseImageMessage(message.Body ?? '');
        for (const object of parsed.kind === 'objects' ? parsed.objects : []) {
          if (!object.key.startsWith(prefix)) continue;
          found.set(object.key, {
            key: object.key,
            code: message.MessageAttributes?.['failure-code']?.StringValue,
            receiptHandle: message.ReceiptHandle!,
          });
        }
      }
      return found.size >= expected ? true : undefined;
    },
    { timeoutMs: 10 * 60_000, intervalMs: 100 },
  );
  return [...found.values()];
}

describe(`${COUNT} concurrent uploads, one in ${POISON_EVERY} poison`, () => {
  let stack: Stack;
  const prefix = uniquePrefix('load');
  let deadLetters: DeadLetter[] = [];

  beforeAll(async () => {
    stack = await describeStack();
  });

  afterAll(async () => {
    for (let i = 0; i < deadLetters.length; i += 10) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: stack.deadLetterQueueUrl,
          Entries: deadLetters
            .slice(i, i + 10)
            .map((letter, j) => ({ Id: String(j), ReceiptHandle: letter.receiptHandle })),
        }),
      );
    }
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
    const deadLettered = new Set(deadLetters.map(({ key }) => key));
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
      deadLetters.every(
        ({ code }) => code === 'unsupported-format' || code === 'corrupt-image' || code === 'empty-object',
      ),
    ).toBe(true);
    for (const key of poison.slice(0, 5)) expect(await listKeys(stack.thumbnailsBucket, `${key}/`)).toEqual([]);
  });
});
