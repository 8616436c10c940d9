import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import { loadRedriveConfig } from '../../../src/config';
import { drainQueue, type DrainOptions } from '../../../src/redrive/drain-queue';
import type { RedriveRequest } from '../../../src/redrive/request';
import { fakeSqs, messages, type FakeMessage } from '../../support/fake-sqs';
import { eventBridgeS3EventBody, s3NotificationBody } from '../../support/s3-events';

const DLQ = 'https://sqs.us-east-1.amazonaws.com/000000000000/images-dlq';
const IMAGES = 'https://sqs.us-east-1.amazonaws.com/000000000000/images';
/** The defaults the function runs with. */
const LIMITS = loadRedriveConfig({ DEAD_LETTER_QUEUE_URL: DLQ, IMAGES_QUEUE_URL: IMAGES }).limits;
/** The redrive function's timeout (serverless.yml). */
const FUNCTION_TIMEOUT_MS = 110_000;

const text = (value: string): MessageAttributeValue => ({ DataType: 'String', StringValue: value });
const failure = (code: string, reason = `${code} reason`, failedAt = '2026-11-24T10:00:00.000Z') => ({
  'failure-code': text(code),
  'failure-reason': text(reason),
  'failed-at': text(failedAt),
});

function setup(dlqMessages: FakeMessage[]) {
  const sqs = fakeSqs({ [DLQ]: dlqMessages, [IMAGES]: [] });
  // Every call takes a little time, as it does against SQS, so budgets are reached.
  sqs.state.callLatencyMs = 10;
  const options = (request: Partial<RedriveRequest> = {}, overrides: Partial<DrainOptions> = {}): DrainOptions => ({
    sqs: sqs.client,
    sourceQueueUrl: DLQ,
    targetQueueUrl: IMAGES,
    request: { dryRun: false, maxMessages: undefined, failureCodes: undefined, perSecond: undefined, ...request },
    limits: LIMITS,
    clock: sqs.clock,
    remainingMs: () => FUNCTION_TIMEOUT_MS,
    ...overrides,
  });
  const dlq = () => sqs.state.queues.get(DLQ)!;
  const images = () => sqs.state.queues.get(IMAGES)!;
  return { sqs, options, dlq, images, visibleIds: () => sqs.visible(DLQ).map((m) => m.id) };
}

afterEach(() => jest.restoreAllMocks());

describe('drainQueue', () => {
  it('moves every message until the dead-letter queue is empty, bodies and other attributes unchanged', async () => {
    const dead = messages(25);
    dead[0]!.attributes = {
      ...failure('corrupt-image'),
      blob: { DataType: 'Binary', BinaryValue: new Uint8Array([1]) },
    };
    const { options, dlq, images } = setup(dead);

    const summary = await drainQueue(options());

    expect(summary).toEqual({
      dryRun: false,
      inQueueAtStart: 25,
      found: 25,
      moved: 25,
      failed: 0,
      notDeleted: 0,
      notMatching: 0,
      arrivedDuringRun: 0,
      reasons: { 'corrupt-image': 1, 'retries-exhausted': 24 },
      stoppedBecause: 'empty',
      next: 'done',
    });
    expect(dlq()).toEqual([]);
    expect(
      images()
        .map((m) => m.body)
        .sort(),
    ).toEqual(dead.map((m) => m.body).sort());
    expect(images().find((m) => m.body === dead[0]!.body)!.attributes).toEqual({
      blob: { DataType: 'Binary', BinaryValue: new Uint8Array([1]) },
    });
  });

  it('strips the failure attributes, so a moved message that then exhausts its retries is counted as such', async () => {
    const { sqs, options, dlq, images } = setup([{ id: 'm0', body: '{}', attributes: failure('corrupt-image') }]);
    await drainQueue(options());
    expect(images()[0]!.attributes).toBeUndefined();

    // SQS moves it back after maxReceiveCount receives, attributes as they were sent to the images queue.
    sqs.state.now += 600_000;
    dlq().push({ ...images().shift()!, id: 'moved-by-sqs', receiveCount: 5 });
    sqs.state.now += 1_000;

    const summary = await drainQueue(options({ dryRun: true }));
    expect(summary.reasons).toEqual({ 'retries-exhausted': 1 });
    expect(summary.samples).toEqual([
      { objectKey: null, failureCode: 'retries-exhausted', reason: null, failedAt: null, receiveCount: 6 },
    ]);
  });

  it('reports an event EventBridge could not deliver as event-not-delivered, and moves it without its attributes', async () => {
    // As EventBridge puts an undelivered event in a rule target's dead-letter queue (ingest: eventbridge).
    const undelivered = {
      ERROR_CODE: text('SQS_SEND_MESSAGE_FAILURE'),
      ERROR_MESSAGE: text('Access to the resource is denied'),
      EXHAUSTED_RETRY_CONDITION: text('MaximumEventAgeInSeconds'),
      RETRY_ATTEMPTS: text('185'),
      RULE_ARN: text('arn:aws:events:us-east-1:000000000000:rule/images-uploaded'),
      TARGET_ARN: text('arn:aws:sqs:us-east-1:000000000000:images'),
      kept: text('an attribute of the message itself'),
    };
    const body = eventBridgeS3EventBody('images', 'photos/a b.jpg');
    const { options, images } = setup([{ id: 'm0', body, attributes: undelivered }]);

    const dryRun = await drainQueue(options({ dryRun: true }));
    expect(dryRun.reasons).toEqual({ 'event-not-delivered': 1 });
    expect(dryRun.samples).toEqual([
      {
        objectKey: 'photos/a b.jpg',
        failureCode: 'event-not-delivered',
        reason:
          'EventBridge could not deliver the event to the images queue: SQS_SEND_MESSAGE_FAILURE: Access to the resource is denied',
        failedAt: null,
        receiveCount: 1,
      },
    ]);

    const summary = await drainQueue(options({ failureCodes: ['event-not-delivered'] }));
    expect(summary).toMatchObject({ moved: 1, notMatching: 0 });
    expect(images()).toEqual([expect.objectContaining({ body, attributes: { kept: undelivered.kept } })]);
  });

  it('deletes only the entries whose send succeeded when a batch partly fails, and makes the rest visible again', async () => {
    const { sqs, options, images, visibleIds } = setup(messages(12));
    sqs.state.failSendEntries = (call) => (call === 1 ? ['1', '3'] : []);

    const summary = await drainQueue(options());

    expect(summary).toMatchObject({ found: 12, moved: 10, failed: 2, notDeleted: 0, stoppedBecause: 'empty' });
    expect(summary.next).toMatch(/run it again/);
    expect(visibleIds()).toEqual(['m1', 'm3']);
    expect(images()).toHaveLength(10);
  });

  it('leaves messages that fail again during the run for later, instead of moving them back and forth', async () => {
    const { sqs, options, dlq, images, visibleIds } = setup(messages(3));
    sqs.state.echoSendsTo = DLQ;

    const summary = await drainQueue(options());

    expect(summary).toMatchObject({ found: 3, moved: 3, arrivedDuringRun: 3, stoppedBecause: 'empty' });
    expect(summary.next).toBe('done; messages that arrived during the run are left for a later run');
    expect(images()).toHaveLength(3);
    expect(dlq().map((m) => m.id)).toEqual(['failed-again-1', 'failed-again-2', 'failed-again-3']);
    // Received once (held for the run, not seen again), and visible again as the run ends.
    expect(dlq().map((m) => m.receiveCount)).toEqual([1, 1, 1]);
    expect(visibleIds()).toHaveLength(3);
  });

  it('stops after maxMessages, never receiving more than it may move', async () => {
    const { options, dlq, images, visibleIds } = setup(messages(25));

    const summary = await drainQueue(options({ maxMessages: 13 }));

    expect(summary).toMatchObject({ found: 13, moved: 13, stoppedBecause: 'max-messages' });
    expect(summary.next).toBe('maxMessages reached: run it again to move more');
    expect(images()).toHaveLength(13);
    expect(dlq()).toHaveLength(12);
    expect(dlq().every((m) => m.receiveCount === undefined)).toBe(true);
    expect(visibleIds()).toHaveLength(12);
  });

  describe('failureCodes', () => {
    const mixed = () =>
      messages(25).map((message, i) => ({
        ...message,
        attributes: i % 5 === 0 ? failure('too-many-pixels') : i % 5 === 1 ? undefined : failure('corrupt-image'),
      }));

    it('moves only matching messages and makes the others visible again at once', async () => {
      const { sqs, options, images, visibleIds } = setup(mixed());
      // What the dead-letter queue shows while each batch is moved.
      const visibleAtSend: string[][] = [];
      sqs.state.failSendEntries = () => {
        visibleAtSend.push(visibleIds());
        return [];
      };

      const summary = await drainQueue(options({ failureCodes: ['too-many-pixels', 'retries-exhausted'] }));

      expect(summary).toMatchObject({
        failureCodes: ['too-many-pixels', 'retries-exhausted'],
        inQueueAtStart: 25,
        found: 25,
        moved: 10,
        notMatching: 15,
        reasons: { 'too-many-pixels': 5, 'retries-exhausted': 5, 'corrupt-image': 15 },
        stoppedBecause: 'all-seen',
      });
      expect(
        images()
          .map((m) => m.body)
          .sort(),
      ).toEqual(
        mixed()
          .filter((_, i) => i % 5 < 2)
          .map((m) => m.body)
          .sort(),
      );
      // The first batch's corrupt-image messages were visible again before its matching ones were sent.
      expect(visibleAtSend[0]).toEqual(expect.arrayContaining(['m2', 'm3', 'm4', 'm7', 'm8', 'm9']));
      expect(visibleIds()).toHaveLength(15);
    });

    it('looks at the rest, not only at what it made visible again', async () => {
      // 25 messages, only the last one matching: the released ones must not hide it.
      const dead = messages(25).map((m, i) => ({
        ...m,
        attributes: failure(i === 24 ? 'empty-object' : 'corrupt-image'),
      }));
      const { options, images } = setup(dead);

      const summary = await drainQueue(options({ failureCodes: ['empty-object'] }));

      expect(summary).toMatchObject({ found: 25, moved: 1, notMatching: 24, stoppedBecause: 'all-seen' });
      expect(images().map((m) => m.body)).toEqual(['{"n":24}']);
    });
  });

  describe('dry run', () => {
    const s3Dead = (count: number): FakeMessage[] =>
      Array.from({ length: count }, (_, i) => ({
        id: `m${i}`,
        body: s3NotificationBody('images', `photos/${i} a+b.jpg`),
        attributes: i % 2 === 0 ? failure('corrupt-image', `JpegDecodeError: truncated ${i}`) : undefined,
        receiveCount: i % 2 === 0 ? 0 : 5,
      }));

    it('counts a large queue from its attributes, shows samples, and hides nothing once it returns', async () => {
      const { sqs, options, dlq, images, visibleIds } = setup(s3Dead(10_000));
      sqs.state.callLatencyMs = 50;
      const startedAt = sqs.state.now;

      const summary = await drainQueue(options({ dryRun: true }));

      expect(summary).toMatchObject({
        dryRun: true,
        inQueueAtStart: 10_000,
        found: LIMITS.dryRunLookAt,
        moved: 0,
        reasons: { 'corrupt-image': 50, 'retries-exhausted': 50 },
        stoppedBecause: 'sampled',
        next: 'dry run, nothing moved: run it again without "dryRun" to move them',
      });
      expect(summary.samples).toHaveLength(LIMITS.maxSamples);
      expect(summary.samples!.slice(0, 2)).toEqual([
        {
          objectKey: 'photos/0 a+b.jpg',
          failureCode: 'corrupt-image',
          reason: 'JpegDecodeError: truncated 0',
          failedAt: '2026-11-24T10:00:00.000Z',
          receiveCount: 1,
        },
        {
          objectKey: 'photos/1 a+b.jpg',
          failureCode: 'retries-exhausted',
          reason: null,
          failedAt: null,
          receiveCount: 6,
        },
      ]);
      expect(sqs.state.now - startedAt).toBeLessThan(2_000);
      expect(visibleIds()).toHaveLength(10_000);
      expect(dlq().filter((m) => m.receiveCount === 1)).toHaveLength(50);
      expect(images()).toEqual([]);
    });

    it('looks at each message once in a small queue, and stops when it has seen them all', async () => {
      const { options, dlq, visibleIds } = setup(s3Dead(3));

      const summary = await drainQueue(options({ dryRun: true }));

      expect(summary).toMatchObject({ inQueueAtStart: 3, found: 3, stoppedBecause: 'empty' });
      expect(summary.samples).toHaveLength(3);
      expect(dlq().map((m) => m.receiveCount)).toEqual([1, 6, 1]);
      expect(visibleIds()).toHaveLength(3);
    });

    it('shows samples of the requested failure codes only', async () => {
      const { options } = setup(s3Dead(30));

      const summary = await drainQueue(options({ dryRun: true, failureCodes: ['retries-exhausted'] }));

      expect(summary).toMatchObject({ found: 30, notMatching: 15, moved: 0 });
      expect(summary.samples!.map((s) => s.objectKey)).toEqual(
        [1, 3, 5, 7, 9, 11, 13, 15, 17, 19].map((i) => `photos/${i} a+b.jpg`),
      );
    });

    it('hides what it looked at for seconds, not minutes, when it cannot make them visible again', async () => {
      const { sqs, options, visibleIds } = setup(s3Dead(30));
      sqs.state.changeVisibilityError = new Error('ServiceUnavailable');

      const summary = await drainQueue(options({ dryRun: true }));

      expect(summary.error).toMatch(/30 message\(s\) not made visible again.*ServiceUnavailable/);
      expect(visibleIds()).toHaveLength(0);
      sqs.state.now += LIMITS.dryRunHoldSeconds * 1_000;
      expect(visibleIds()).toHaveLength(30);
    });
  });

  describe('time', () => {
    it('returns within its time budget, long before sls invoke gives up, with "run it again"', async () => {
      const { sqs, options, dlq, images } = setup(messages(10_000));
      sqs.state.callLatencyMs = 50; // receive, send and delete: 150 ms a batch of 10
      const startedAt = sqs.state.now;

      const summary = await drainQueue(options());

      const elapsed = sqs.state.now - startedAt;
      expect(elapsed).toBeGreaterThan(LIMITS.timeBudgetMs - 1_000);
      expect(elapsed).toBeLessThanOrEqual(LIMITS.timeBudgetMs + 1_000);
      expect(LIMITS.timeBudgetMs + 1_000).toBeLessThan(120_000); // sls invoke's socket timeout
      expect(summary).toMatchObject({
        stoppedBecause: 'time-budget',
        next: 'time budget used: run it again to move the rest',
      });
      expect(summary.moved).toBeGreaterThan(5_000);
      expect(images().length + dlq().length).toBe(10_000);
    });

    it('keeps the reserve when the invocation has less time left than the budget', async () => {
      const { sqs, options } = setup(messages(10_000));
      sqs.state.callLatencyMs = 50;
      const startedAt = sqs.state.now;

      await drainQueue(options({}, { remainingMs: () => 30_000 }));

      expect(sqs.state.now - startedAt).toBeLessThanOrEqual(30_000 - LIMITS.timeReserveMs + 1_000);
    });

    it('sends at most perSecond messages in any one second', async () => {
      const { sqs, options, images } = setup(messages(45));
      const startedAt = sqs.state.now;

      const summary = await drainQueue(options({ perSecond: 15 }));

      expect(summary).toMatchObject({ moved: 45, stoppedBecause: 'empty' });
      const sentAt = images().map((m) => m.sentAt!);
      for (const t of sentAt) expect(sentAt.filter((u) => u >= t && u < t + 1_000).length).toBeLessThanOrEqual(15);
      expect(Math.max(...sentAt) - startedAt).toBeGreaterThanOrEqual(2_000);
    });

    it('stops at the budget rather than sleeping past it for the rate', async () => {
      const { sqs, options } = setup(messages(1_000));
      const startedAt = sqs.state.now;

      const summary = await drainQueue(options({ perSecond: 1 }));

      expect(summary).toMatchObject({ stoppedBecause: 'time-budget' });
      expect(summary.moved).toBeLessThanOrEqual(LIMITS.timeBudgetMs / 1_000);
      expect(sqs.state.now - startedAt).toBeLessThan(LIMITS.timeBudgetMs);
    });
  });

  describe('errors', () => {
    it('counts messages sent but not deleted, which stay in the dead-letter queue as duplicates', async () => {
      const { sqs, options, dlq, images } = setup(messages(5));
      sqs.state.failDeleteReceipts.add('receipt-2');

      const summary = await drainQueue(options());

      expect(summary).toMatchObject({ found: 5, moved: 5, failed: 0, notDeleted: 1, stoppedBecause: 'empty' });
      expect(images()).toHaveLength(5);
      expect(dlq().map((m) => m.id)).toEqual(['m1']);
    });

    it('stops with the error and loses nothing when SQS refuses a whole send', async () => {
      const { sqs, options, images, visibleIds } = setup(messages(4));
      sqs.state.sendError = new Error('ServiceUnavailable');

      const summary = await drainQueue(options());

      expect(summary).toEqual({
        dryRun: false,
        inQueueAtStart: 4,
        found: 4,
        moved: 0,
        failed: 4,
        notDeleted: 0,
        notMatching: 0,
        arrivedDuringRun: 0,
        reasons: { 'retries-exhausted': 4 },
        stoppedBecause: 'error',
        next: 'stopped by an error: fix it, then run it again',
        error: 'Error: ServiceUnavailable',
      });
      expect(images()).toEqual([]);
      expect(visibleIds()).toHaveLength(4);
    });

    it('stops with the error when SQS refuses a whole delete, counting the duplicates', async () => {
      const { sqs, options, dlq, images } = setup(messages(3));
      sqs.state.deleteError = new Error('ThrottlingException');

      const summary = await drainQueue(options());

      expect(summary).toMatchObject({
        moved: 3,
        notDeleted: 3,
        stoppedBecause: 'error',
        error: 'Error: ThrottlingException',
      });
      expect(images()).toHaveLength(3);
      expect(dlq()).toHaveLength(3);
    });

    it('returns a summary with the error when the queue cannot be read', async () => {
      const { options } = setup([]);

      const summary = await drainQueue({ ...options(), sourceQueueUrl: 'https://sqs.example/missing' });

      expect(summary).toMatchObject({ found: 0, stoppedBecause: 'error' });
      expect(summary.error).toMatch(/NonExistentQueue/);
    });
  });
});
