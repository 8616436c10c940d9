/**
 * The thumbnail function's timeout in the packaged template against what one record needs: below it, no
 * record ever starts and every message is deferred until SQS dead-letters it (src/thumbnail/handle-record.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONNECTION_TIMEOUT_MS, RESPONSE_TIMEOUT_MS } from '../../src/aws/clients';
import { DEFAULT_INVOCATION_HEADROOM_MS, DEFAULT_RENDER_BUDGET_MS, loadThumbnailConfig } from '../../src/config';
import { timeNeededToStart } from '../../src/thumbnail/handle-record';

/**
 * One record's S3 I/O at its slowest answers (one attempt each): the read, then the thumbnails' writes,
 * which run concurrently.
 */
const ONE_RECORD_IO_MS = 2 * (CONNECTION_TIMEOUT_MS + RESPONSE_TIMEOUT_MS);

const templatePath = join(__dirname, '../../.serverless/cloudformation-template-update-stack.json');
const template = JSON.parse(readFileSync(templatePath, 'utf8')) as {
  Resources: Record<string, { Properties: Record<string, any> }>; // eslint-disable-line @typescript-eslint/no-explicit-any
};
const thumbnail = template.Resources.ThumbnailLambdaFunction!.Properties;

describe('the thumbnail function', () => {
  const timeoutMs = (thumbnail.Timeout as number) * 1_000;

  it('has a timeout that starts a record with the default render budget and headroom, with room for its I/O', () => {
    expect(timeoutMs).toBeGreaterThan(DEFAULT_RENDER_BUDGET_MS + DEFAULT_INVOCATION_HEADROOM_MS + ONE_RECORD_IO_MS);
  });

  it('has a timeout that starts a record with the render budget and headroom its environment sets', () => {
    // References (queue URLs, bucket names) are resolved at deploy time; only their presence matters here.
    const environment: Record<string, string> = Object.fromEntries(
      Object.entries(thumbnail.Environment.Variables).map(([name, value]) => [
        name,
        typeof value === 'string' || typeof value === 'number' ? String(value) : 'ref',
      ]),
    );
    const settings = loadThumbnailConfig(environment);
    expect(timeoutMs).toBeGreaterThan(timeNeededToStart(settings) + ONE_RECORD_IO_MS);
  });
});

describe('the images queue consumer (parameter consumer)', () => {
  const full = template as unknown as {
    Resources: Record<string, { Condition?: string }>;
    Conditions: Record<string, unknown>;
    Outputs: Record<string, { Value: unknown }>;
  };

  it('is the thumbnail function by default: its event source mapping exists under a condition that holds', () => {
    expect(full.Resources.ThumbnailEventSourceMappingSQSImagesQueue?.Condition).toBe(
      'ThumbnailFunctionConsumesImagesQueue',
    );
    // consumer: worker makes this ['worker', 'worker'] and the mapping is not created (functional test).
    expect(full.Conditions.ThumbnailFunctionConsumesImagesQueue).toEqual({
      'Fn::Not': [{ 'Fn::Equals': ['lambda', 'worker'] }],
    });
    expect(full.Outputs.ImagesQueueConsumer?.Value).toBe('lambda');
  });
});
