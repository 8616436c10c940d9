/**
 * The worker's loop against the SQS fake on jest's fake timers (the fake's clock is Date.now(), and its
 * long polls wait on timers as SQS's do): what ends up in the queue for each way a message's work ends,
 * and what happens to messages in flight when the worker is told to stop.
 */
import type { SQSRecord } from 'aws-lambda';
import { fakeSqs, messages } from '../../support/fake-sqs';
import { runWorkerLoop, type RecordHandler, type WorkerLoopOptions } from '../../../src/worker/loop';
import type { MessageOutcome } from '../../../src/worker/stats';

const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/000000000000/images';
const HOLD_SECONDS = 30;
const RETRY = { baseDelaySeconds: 10, maxDelaySeconds: 300 };

beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
afterEach(() => jest.useRealTimers());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function setUp(count: number, overrides: Partial<WorkerLoopOptions> & { handle: RecordHandler }) {
  const sqs = fakeSqs({ [QUEUE_URL]: messages(count) }, { onTimers: true });
  const finished: [string, MessageOutcome][] = [];
  const warnings: string[] = [];
  const stop = new AbortController();
  const run = runWorkerLoop(
    {
      sqs: sqs.client,
      queueUrl: QUEUE_URL,
      concurrency: 2,
      waitTimeSeconds: 20,
      visibilityTimeoutSeconds: HOLD_SECONDS,
      retry: RETRY,
      once: false,
      shutdownGraceMs: 5_000,
      events: {
        finished: (record, outcome) => finished.push([record.messageId, outcome]),
        warning: (message) => warnings.push(message),
      },
      ...overrides,
    },
    stop.signal,
  );
  let ended = false;
  void run.then(() => (ended = true));
  const queue = () => sqs.state.queues.get(QUEUE_URL)!;
  const message = (id: string) => queue().find((m) => m.id === id);
  return { sqs, run, stop, finished, warnings, queue, message, hasEnded: () => ended };
}

describe('the worker loop', () => {
  it('deletes a message whose work succeeded, at most `concurrency` at a time, and with --once ends when the queue is empty', async () => {
    let running = 0;
    let mostAtOnce = 0;
    const { run, finished, queue, hasEnded } = setUp(5, {
      once: true,
      handle: async () => {
        mostAtOnce = Math.max(mostAtOnce, ++running);
        await sleep(1_000);
        running -= 1;
        return 'succeeded';
      },
    });
    await jest.advanceTimersByTimeAsync(3_500);
    expect(finished.length).toBe(5);
    expect(queue()).toEqual([]);
    expect(mostAtOnce).toBe(2);
    // Drained: the next long poll finds nothing, and the loop ends after it.
    expect(hasEnded()).toBe(false);
    await jest.advanceTimersByTimeAsync(20_000);
    expect(hasEnded()).toBe(true);
    await run;
    expect(finished.map(([id]) => id).sort()).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(new Set(finished.map(([, outcome]) => outcome))).toEqual(new Set(['succeeded']));
  });

  it('deletes a message the record handling dead-lettered, and counts it as dead-lettered', async () => {
    const { run, finished, queue } = setUp(1, { once: true, handle: async () => 'dead-lettered' });
    await jest.advanceTimersByTimeAsync(21_000);
    await run;
    expect(queue()).toEqual([]);
    expect(finished).toEqual([['m0', 'dead-lettered']]);
  });

  it('leaves a transient failure to SQS, visible again after the retry delay, doubling with each receive', async () => {
    const attempts: { receiveCount: string; atMs: number }[] = [];
    const { stop, run, finished, message } = setUp(1, {
      concurrency: 1,
      handle: async (record) => {
        attempts.push({ receiveCount: record.attributes.ApproximateReceiveCount, atMs: Date.now() });
        throw new Error('S3 SlowDown');
      },
    });
    await jest.advanceTimersByTimeAsync(0);
    expect(finished).toEqual([['m0', 'retried']]);
    // Hidden for the first delay exactly (10 s), not the 30 s hold.
    expect(message('m0')!.invisibleUntil! - attempts[0]!.atMs).toBe(10_000);
    await jest.advanceTimersByTimeAsync(9_999);
    expect(attempts.length).toBe(1);
    await jest.advanceTimersByTimeAsync(100);
    expect(attempts.map(({ receiveCount }) => receiveCount)).toEqual(['1', '2']);
    expect(message('m0')!.invisibleUntil! - attempts[1]!.atMs).toBe(20_000);
    stop.abort();
    await jest.advanceTimersByTimeAsync(0);
    await run;
    expect(message('m0')!.receiveCount).toBe(2);
  });

  it('keeps a message hidden while its work takes longer than the visibility timeout, and tells the work the time left', async () => {
    const remaining: number[] = [];
    const received: string[] = [];
    const { run, finished, message, sqs, queue } = setUp(1, {
      once: true,
      handle: async (record: SQSRecord, remainingTimeMs) => {
        received.push(record.attributes.ApproximateReceiveCount);
        for (let i = 0; i < 10; i++) {
          remaining.push(remainingTimeMs());
          await sleep(10_000);
        }
        return 'succeeded';
      },
    });
    // The second slot keeps polling all along: had the message become visible, it would be received again.
    for (let t = 0; t < 100_000; t += 5_000) {
      await jest.advanceTimersByTimeAsync(5_000);
      if (queue().length > 0) expect(message('m0')!.invisibleUntil!).toBeGreaterThan(sqs.state.now);
    }
    await jest.advanceTimersByTimeAsync(21_000);
    await run;
    expect(finished).toEqual([['m0', 'succeeded']]);
    expect(queue()).toEqual([]);
    // Received once only, and the time left never ran out: 30 s at the start, then 20-30 s (renewed every 10 s).
    expect(received).toEqual(['1']);
    expect(remaining[0]).toBe(HOLD_SECONDS * 1000);
    for (const ms of remaining) expect(ms).toBeGreaterThanOrEqual(20_000);
    expect(Math.max(...remaining)).toBeLessThanOrEqual(HOLD_SECONDS * 1000);
  });

  it('on stop, receives no more, lets in-flight messages finish and deletes them', async () => {
    const { stop, run, finished, message, queue, hasEnded } = setUp(4, {
      handle: async () => {
        await sleep(3_000);
        return 'succeeded';
      },
    });
    await jest.advanceTimersByTimeAsync(1_000);
    stop.abort();
    await jest.advanceTimersByTimeAsync(1_999);
    expect(hasEnded()).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    await run;
    expect(finished).toEqual([
      ['m0', 'succeeded'],
      ['m1', 'succeeded'],
    ]);
    expect(queue().map(({ id }) => id)).toEqual(['m2', 'm3']);
    expect(message('m2')!.receiveCount).toBeUndefined();
  });

  it('on stop, releases what is still running after the grace period: visible at once, for the next receive', async () => {
    let finishWork: () => void = () => undefined;
    const { stop, run, finished, message, sqs } = setUp(1, {
      concurrency: 1,
      handle: () => new Promise((resolve) => (finishWork = () => resolve('succeeded'))),
    });
    await jest.advanceTimersByTimeAsync(1_000);
    stop.abort();
    await jest.advanceTimersByTimeAsync(4_999);
    expect(finished).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    await run;
    expect(finished).toEqual([['m0', 'released']]);
    expect(message('m0')!.invisibleUntil).toBe(sqs.state.now);
    expect(sqs.visible(QUEUE_URL).map(({ id }) => id)).toEqual(['m0']);
    // Work that ends after its message was released does not delete it: another receive may hold it.
    finishWork();
    await jest.advanceTimersByTimeAsync(0);
    expect(sqs.visible(QUEUE_URL).map(({ id }) => id)).toEqual(['m0']);
    expect(finished).toEqual([['m0', 'released']]);
  });

  it('on stop during a long poll, ends at once instead of waiting the poll out', async () => {
    const { stop, run, hasEnded } = setUp(0, { handle: async () => 'succeeded' });
    await jest.advanceTimersByTimeAsync(5_000);
    stop.abort();
    await jest.advanceTimersByTimeAsync(0);
    expect(hasEnded()).toBe(true);
    await run;
  });
});
