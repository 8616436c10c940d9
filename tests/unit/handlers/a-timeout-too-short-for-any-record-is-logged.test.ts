/**
 * A function timeout below RENDER_BUDGET_MS + INVOCATION_HEADROOM_MS defers every record of every batch
 * until SQS dead-letters it. The real handler says so in its log, as an error, once per container.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { ChangeMessageVisibilityBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { DEFAULT_INVOCATION_HEADROOM_MS, DEFAULT_RENDER_BUDGET_MS } from '../../../src/config';
import { lambdaContext } from '../../support/lambda-context';
import { S3_TEST_EVENT_BODY, s3NotificationBody, sqsRecord } from '../../support/s3-events';

const sqs = mockClient(SQSClient);
const NEEDED_MS = DEFAULT_RENDER_BUDGET_MS + DEFAULT_INVOCATION_HEADROOM_MS;

describe('a thumbnail function whose timeout is too short for any record', () => {
  let handler: (event: SQSEvent, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;
  let errors: jest.SpyInstance;

  beforeAll(async () => {
    process.env.THUMBNAILS_BUCKET = 'thumbs';
    process.env.IMAGES_QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/000000000000/images';
    process.env.DEAD_LETTER_QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/000000000000/images-dlq';
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    delete process.env.RENDER_BUDGET_MS;
    delete process.env.INVOCATION_HEADROOM_MS;
    ({ handler } = await import('../../../src/handlers/thumbnail'));
    sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
    errors = jest.spyOn(Logger.prototype, 'error');
  });
  afterAll(() => errors.mockRestore());

  it('logs the misconfiguration as an error, once per container, and only when an invocation starts short', async () => {
    const event: SQSEvent = { Records: [sqsRecord('a', s3NotificationBody('images', 'photo.jpg'))] };
    const misconfigured = () => errors.mock.calls.filter(([message]) => String(message).startsWith('misconfigured:'));

    // Enough time at the start (an S3 test event: nothing to read or render): nothing to say.
    await handler(
      { Records: [sqsRecord('t', S3_TEST_EVENT_BODY)] },
      lambdaContext('thumbnail', () => NEEDED_MS),
    );
    expect(misconfigured()).toEqual([]);

    // A 20 s timeout: the record is deferred (reported for retry), and the log names the cause.
    await expect(
      handler(
        event,
        lambdaContext('thumbnail', () => 20_000),
      ),
    ).resolves.toEqual({
      batchItemFailures: [{ itemIdentifier: 'a' }],
    });
    expect(misconfigured()).toEqual([
      [
        'misconfigured: the function timeout is too short for any record to start',
        expect.objectContaining({
          remainingMs: 20_000,
          neededMs: NEEDED_MS,
          reason: expect.stringContaining('(RENDER_BUDGET_MS + INVOCATION_HEADROOM_MS)'),
        }),
      ],
    ]);

    // Every later invocation of the container is just as short: said once is enough.
    await handler(
      event,
      lambdaContext('thumbnail', () => 20_000),
    );
    expect(misconfigured()).toHaveLength(1);
  });
});
