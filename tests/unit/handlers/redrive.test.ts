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
      found: 3,
      moved: 3,
      failed: 0,
      notDeleted: 0,
      arrivedDuringRun: 0,
      reasons: { 'retries-exhausted': 3 },
      stoppedBecause: 'empty',
    });
    expect(sqs.state.queues.get(IMAGES)).toHaveLength(3);
    expect(sqs.state.queues.get(DLQ)).toEqual([]);
  });

  it('moves nothing in a dry run', async () => {
    const sqs = fakeSqs({ [DLQ]: messages(2), [IMAGES]: [] });

    await expect(handler({ dryRun: true }, lambdaContext('redrive'))).resolves.toMatchObject({
      dryRun: true,
      found: 2,
      moved: 0,
    });
    expect(sqs.state.queues.get(IMAGES)).toEqual([]);
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
