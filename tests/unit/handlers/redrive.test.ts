import type { Context } from 'aws-lambda';
import { fakeSqs, messages } from '../../support/fake-sqs';
import { lambdaContext } from '../../support/lambda-context';

const DLQ = 'http://localhost:4566/000000000000/thumbnails-test-images-dlq';
const IMAGES = 'http://localhost:4566/000000000000/thumbnails-test-images';

describe('redrive handler', () => {
  let handler: (event: unknown, context: Context) => Promise<unknown>;

  beforeAll(async () => {
    process.env.DEAD_LETTER_QUEUE_URL = DLQ;
    process.env.IMAGES_QUEUE_URL = IMAGES;
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    ({ handler } = await import('../../../src/handlers/redrive'));
  });

  it('drains the dead-letter queue into the images queue and returns the summary', async () => {
    const sqs = fakeSqs({ [DLQ]: messages(3), [IMAGES]: [] });

    const summary = await handler({}, lambdaContext('redrive'));

    expect(summary).toEqual({
      dryRun: false,
      inQueueAtStart: 3,
      found: 3,
      moved: 3,
      failed: 0,
      notDeleted: 0,
      notMatching: 0,
      arrivedDuringRun: 0,
      reasons: { 'retries-exhausted': 3 },
      stoppedBecause: 'empty',
      next: 'done',
    });
    expect(sqs.state.queues.get(IMAGES)).toHaveLength(3);
    expect(sqs.state.queues.get(DLQ)).toEqual([]);
  });

  it('moves nothing in a dry run, and shows samples', async () => {
    const sqs = fakeSqs({ [DLQ]: messages(2), [IMAGES]: [] });

    await expect(handler({ dryRun: true }, lambdaContext('redrive'))).resolves.toMatchObject({
      dryRun: true,
      found: 2,
      moved: 0,
      samples: [{ failureCode: 'retries-exhausted' }, { failureCode: 'retries-exhausted' }],
    });
    expect(sqs.state.queues.get(IMAGES)).toEqual([]);
    expect(sqs.visible(DLQ)).toHaveLength(2);
  });

  it('moves only the failure codes asked for, at the rate asked for', async () => {
    const dead = messages(3);
    dead[1]!.attributes = { 'failure-code': { DataType: 'String', StringValue: 'corrupt-image' } };
    const sqs = fakeSqs({ [DLQ]: dead, [IMAGES]: [] });

    const summary = await handler({ failureCodes: ['corrupt-image'], perSecond: 5 }, lambdaContext('redrive'));

    expect(summary).toMatchObject({ found: 3, moved: 1, notMatching: 2, failureCodes: ['corrupt-image'] });
    expect(sqs.state.queues.get(IMAGES)!.map((m) => m.body)).toEqual([dead[1]!.body]);
  });

  it('stops before starting a batch when less time is left than the reserve', async () => {
    const sqs = fakeSqs({ [DLQ]: messages(2), [IMAGES]: [] });

    const summary = await handler(
      {},
      lambdaContext('redrive', () => 9_000),
    );

    expect(summary).toMatchObject({ found: 0, moved: 0, stoppedBecause: 'time-budget' });
    expect(sqs.state.queues.get(DLQ)).toHaveLength(2);
  });

  it('rejects a malformed request before touching any queue', async () => {
    const sqs = fakeSqs({ [DLQ]: messages(1), [IMAGES]: [] });

    await expect(handler({ maxMessages: -1 }, lambdaContext('redrive'))).rejects.toThrow(/maxMessages/);
    expect(sqs.mock.calls()).toHaveLength(0);
  });
});
