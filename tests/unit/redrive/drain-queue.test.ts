import { drainQueue, type DrainOptions } from '../../../src/redrive/drain-queue';
import { fakeSqs, messages, type FakeMessage } from '../../support/fake-sqs';

const DLQ = 'https://sqs.us-east-1.amazonaws.com/000000000000/images-dlq';
const IMAGES = 'https://sqs.us-east-1.amazonaws.com/000000000000/images';

function setup(dlqMessages: FakeMessage[]) {
  const sqs = fakeSqs({ [DLQ]: dlqMessages, [IMAGES]: [] });
  const options = (overrides: Partial<DrainOptions> = {}): DrainOptions => ({
    sqs: sqs.client,
    sourceQueueUrl: DLQ,
    targetQueueUrl: IMAGES,
    dryRun: false,
    maxMessages: undefined,
    hasTimeLeft: () => true,
    now: () => 500, // the run starts after the dead letters were sent (0) and before anything it sends (1000)
    ...overrides,
  });
  const bodies = (url: string) =>
    sqs.state.queues
      .get(url)!
      .map((m) => m.body)
      .sort();
  return { sqs, options, bodies, dlq: () => sqs.state.queues.get(DLQ)!, images: () => sqs.state.queues.get(IMAGES)! };
}

afterEach(() => jest.restoreAllMocks());

describe('drainQueue', () => {
  it('moves every message until the dead-letter queue is empty, bodies and attributes unchanged', async () => {
    const dead = messages(25);
    dead[0]!.attributes = {
      'failure-code': { DataType: 'String', StringValue: 'corrupt-image' },
      blob: { DataType: 'Binary', BinaryValue: new Uint8Array([1, 2, 3]) },
    };
    const { options, dlq, images, bodies } = setup(dead);

    const summary = await drainQueue(options());

    expect(summary).toEqual({
      dryRun: false,
      found: 25,
      moved: 25,
      failed: 0,
      notDeleted: 0,
      arrivedDuringRun: 0,
      reasons: { 'corrupt-image': 1, 'retries-exhausted': 24 },
      stoppedBecause: 'empty',
    });
    expect(dlq()).toEqual([]);
    expect(bodies(IMAGES)).toEqual(dead.map((m) => m.body).sort());
    expect(images().find((m) => m.body === dead[0]!.body)!.attributes).toEqual(dead[0]!.attributes);
  });

  it('deletes only the entries whose send succeeded when a batch partly fails', async () => {
    const dead = messages(12);
    const { sqs, options, dlq, images } = setup(dead);
    sqs.state.failSendEntries = (call) => (call === 1 ? ['1', '3'] : []);

    const summary = await drainQueue(options());

    expect(summary).toMatchObject({ found: 12, moved: 10, failed: 2, notDeleted: 0, stoppedBecause: 'empty' });
    expect(dlq().map((m) => m.id)).toEqual(['m1', 'm3']);
    expect(dlq().every((m) => !m.hidden)).toBe(true); // released for the next run
    expect(images()).toHaveLength(10);
    expect(images().length + dlq().length).toBe(12); // nothing lost
  });

  it('counts without moving anything in a dry run, by reason, and leaves the messages visible', async () => {
    const dead = messages(23);
    const code = (value: string) => ({ 'failure-code': { DataType: 'String', StringValue: value } });
    dead.slice(0, 5).forEach((message) => (message.attributes = code('too-many-pixels')));
    dead.slice(5, 7).forEach((message) => (message.attributes = code('invalid-message')));
    const { options, dlq, images } = setup(dead);

    const summary = await drainQueue(options({ dryRun: true }));

    expect(summary).toEqual({
      dryRun: true,
      found: 23,
      moved: 0,
      failed: 0,
      notDeleted: 0,
      arrivedDuringRun: 0,
      reasons: { 'too-many-pixels': 5, 'invalid-message': 2, 'retries-exhausted': 16 },
      stoppedBecause: 'empty',
    });
    expect(images()).toEqual([]);
    expect(dlq()).toHaveLength(23);
    expect(dlq().every((m) => !m.hidden)).toBe(true);
  });

  it('leaves messages that fail again during the run for later, instead of moving them back and forth', async () => {
    const { sqs, options, dlq, images } = setup(messages(3));
    sqs.state.echoSendsTo = DLQ;

    const summary = await drainQueue(options());

    expect(summary).toMatchObject({ found: 3, moved: 3, arrivedDuringRun: 3, stoppedBecause: 'empty' });
    expect(images()).toHaveLength(3);
    expect(dlq().map((m) => m.id)).toEqual(['failed-again-0-1', 'failed-again-1-1', 'failed-again-2-1']);
    expect(dlq().every((m) => !m.hidden)).toBe(true);
  });

  it('stops after maxMessages, never receiving more than it may move', async () => {
    const { options, dlq, images } = setup(messages(25));

    const summary = await drainQueue(options({ maxMessages: 13 }));

    expect(summary).toMatchObject({ found: 13, moved: 13, stoppedBecause: 'max-messages' });
    expect(images()).toHaveLength(13);
    expect(dlq()).toHaveLength(12);
    expect(dlq().every((m) => !m.hidden)).toBe(true);
  });

  it('stops when the time budget runs low, keeping what is left in the dead-letter queue', async () => {
    const { options, dlq, images } = setup(messages(35));
    let checks = 0;

    const summary = await drainQueue(options({ hasTimeLeft: () => ++checks <= 2 }));

    expect(summary).toMatchObject({ found: 20, moved: 20, stoppedBecause: 'time-budget' });
    expect(images()).toHaveLength(20);
    expect(dlq()).toHaveLength(15);
  });

  it('counts messages sent but not deleted, which stay in the dead-letter queue as duplicates', async () => {
    const { sqs, options, dlq, images } = setup(messages(5));
    sqs.state.failDeleteReceipts.add('receipt-2');

    const summary = await drainQueue(options());

    expect(summary).toMatchObject({ found: 5, moved: 5, failed: 0, notDeleted: 1, stoppedBecause: 'empty' });
    expect(images()).toHaveLength(5);
    expect(dlq().map((m) => m.id)).toEqual(['m1']);
  });

  it('stops with the error and loses nothing when SQS refuses a whole send', async () => {
    const { sqs, options, dlq, images } = setup(messages(4));
    sqs.state.sendError = new Error('ServiceUnavailable');

    const summary = await drainQueue(options());

    expect(summary).toEqual({
      dryRun: false,
      found: 4,
      moved: 0,
      failed: 4,
      notDeleted: 0,
      arrivedDuringRun: 0,
      reasons: { 'retries-exhausted': 4 },
      stoppedBecause: 'error',
      error: 'Error: ServiceUnavailable',
    });
    expect(images()).toEqual([]);
    expect(dlq()).toHaveLength(4);
    expect(dlq().every((m) => !m.hidden)).toBe(true);
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
});
