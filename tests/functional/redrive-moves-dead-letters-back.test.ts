import { PurgeQueueCommand } from '@aws-sdk/client-sqs';
import { makeJpeg } from '../support/sample-images';
import { eventually } from '../support/eventually';
import { slsInvoke } from './support/sls';
import {
  deletePrefix,
  listKeys,
  queueDepth,
  sqs,
  upload,
  waitForThumbnails,
  type Stack,
} from '../support/stack';
import { useTestPrefix } from './support/test-prefix';

jest.setTimeout(240_000);

describe('sls invoke -f redrive', () => {
  const scope = useTestPrefix('redrive');
  const { prefix } = scope;
  const key = `${prefix}/was-broken.jpg`;
  let stack: Stack;

  beforeAll(async () => {
    stack = scope.stack;
    // Counts below are exact, so start from an empty dead-letter queue.
    await sqs.send(new PurgeQueueCommand({ QueueUrl: stack.deadLetterQueueUrl }));
    await eventually('an empty dead-letter queue', async () =>
      (await queueDepth(stack.deadLetterQueueUrl)) === 0 ? true : undefined,
    );
  });

  it('counts without moving in a dry run, then moves the message back so that it produces thumbnails once the object is fixed', async () => {
    await upload(stack.imagesBucket, key, Buffer.from('not an image yet'));
    await eventually(
      'the broken upload to reach the dead-letter queue',
      async () => ((await queueDepth(stack.deadLetterQueueUrl)) === 1 ? true : undefined),
      { timeoutMs: 120_000, intervalMs: 1_000 },
    );

    const dryRun = await slsInvoke('redrive', { dryRun: true });
    expect(dryRun).toMatchObject({
      dryRun: true,
      found: 1,
      moved: 0,
      failed: 0,
      reasons: { 'unsupported-format': 1 },
      stoppedBecause: 'empty',
    });
    expect(await queueDepth(stack.deadLetterQueueUrl)).toBe(1);

    // The fix: a valid image replaces the broken one. Its own upload notification makes thumbnails too,
    // so wait for those and delete them: what appears after the redrive comes from the redriven message.
    await upload(stack.imagesBucket, key, await makeJpeg(320, 240));
    await waitForThumbnails(stack, key);
    await deletePrefix(stack.thumbnailsBucket, `${key}/`);
    expect(await listKeys(stack.thumbnailsBucket, `${key}/`)).toEqual([]);

    const redrive = await slsInvoke('redrive', {});
    expect(redrive).toEqual({
      dryRun: false,
      found: 1,
      moved: 1,
      failed: 0,
      notDeleted: 0,
      arrivedDuringRun: 0,
      reasons: { 'unsupported-format': 1 },
      stoppedBecause: 'empty',
    });
    expect(await queueDepth(stack.deadLetterQueueUrl)).toBe(0);

    const thumbnails = await waitForThumbnails(stack, key);
    expect(thumbnails).toEqual(stack.sizes.map((box) => `${key}/${box.label}.jpg`).sort());
    expect(await queueDepth(stack.deadLetterQueueUrl)).toBe(0);
  });
});
