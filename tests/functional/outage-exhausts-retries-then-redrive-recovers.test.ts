import { eventually } from '../support/eventually';
import { makeJpeg } from '../support/sample-images';
import { upload, type Stack, waitForThumbnails } from '../support/stack';
import { deadLettersFor } from './support/dead-letters';
import { functionLogLines } from './support/logs';
import { setThumbnailFunctionEnvironment, thumbnailFunctionEnvironment } from './support/thumbnail-function';
import { useTestPrefix } from './support/test-prefix';

jest.setTimeout(240_000);

async function setThumbnailsBucket(bucket: string): Promise<void> {
  await setThumbnailFunctionEnvironment({ ...(await thumbnailFunctionEnvironment()), THUMBNAILS_BUCKET: bucket });
}

describe('an outage of the thumbnails bucket', () => {
  const scope = useTestPrefix('outage');
  const { prefix } = scope;
  let stack: Stack;

  beforeAll(async () => {
    stack = scope.stack;
  });

  afterAll(async () => {
    await setThumbnailsBucket(stack.thumbnailsBucket);
  });

  it('retries an image maxReceiveCount times, then parks it in the dead-letter queue until a redrive after the fix', async () => {
    // The "outage": a bad deployment points the function at a bucket that does not exist, so every
    // write fails with NoSuchBucket, a failure that retrying might cure.
    await setThumbnailsBucket(`${stack.thumbnailsBucket}-missing`);
    const key = `${prefix}/during-outage.jpg`;
    await upload(stack.imagesBucket, key, await makeJpeg(320, 240));

    const [deadLetter] = await eventually(
      `${key} to reach the dead-letter queue`,
      async () => {
        const found = await deadLettersFor(stack, prefix);
        return found.length > 0 ? found : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 1_000 },
    );
    // Moved by the queue's redrive policy, not by the function: no failure attributes.
    expect(deadLetter).toMatchObject({ keys: [key], attributes: {} });
    const failures = await eventually(`the failure log lines of ${key}`, async () => {
      const lines = (await functionLogLines('thumbnail', key)).filter((line) => line.outcome === 'failure');
      return lines.length >= stack.maxReceiveCount ? lines : undefined;
    });
    expect(failures).toHaveLength(stack.maxReceiveCount);
    expect(failures.every((line) => line.permanent === false)).toBe(true);
    expect(failures[0]!.reason).toMatch(/NoSuchBucket/);

    // The fix, then the redrive: the parked message now produces its thumbnails.
    await setThumbnailsBucket(stack.thumbnailsBucket);
    const { slsInvoke } = await import('./support/sls');
    const summary = (await slsInvoke('redrive', {})) as { moved: number };
    expect(summary.moved).toBeGreaterThanOrEqual(1);
    await waitForThumbnails(stack, key);
    expect(await deadLettersFor(stack, prefix)).toEqual([]);
  });
});
