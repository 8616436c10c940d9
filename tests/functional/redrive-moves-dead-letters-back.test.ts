import { GetQueueAttributesCommand, PurgeQueueCommand } from '@aws-sdk/client-sqs';
import { makeJpeg } from '../support/sample-images';
import { eventually } from '../support/eventually';
import { slsInvoke } from './support/sls';
import { deadLettersFor, deleteDeadLetters } from './support/dead-letters';
import { deletePrefix, listKeys, queueDepth, sqs, upload, waitForThumbnails, type Stack } from '../support/stack';
import { useTestPrefix } from './support/test-prefix';

jest.setTimeout(240_000);

/** Messages an operator (and the dead-letter alarm) can see: none hidden by a redrive. */
async function visibleDepth(queueUrl: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  return Number(Attributes.ApproximateNumberOfMessages ?? 0);
}

describe('sls invoke -f redrive', () => {
  const scope = useTestPrefix('redrive');
  const { prefix } = scope;
  const brokenKey = `${prefix}/was-broken.jpg`;
  const emptyKey = `${prefix}/still-empty.jpg`;
  let stack: Stack;

  beforeAll(async () => {
    stack = scope.stack;
    // Counts below are exact, so start from an empty dead-letter queue.
    await sqs.send(new PurgeQueueCommand({ QueueUrl: stack.deadLetterQueueUrl }));
    await eventually('an empty dead-letter queue', async () =>
      (await queueDepth(stack.deadLetterQueueUrl)) === 0 ? true : undefined,
    );
  });

  afterAll(async () => {
    // The empty object's dead letter is left behind on purpose by the test; remove it.
    await deleteDeadLetters(stack, await deadLettersFor(stack, prefix, 5));
  });

  it('shows samples in a dry run, moves only the failure codes asked for, and the fixed image then gets thumbnails', async () => {
    await upload(stack.imagesBucket, brokenKey, Buffer.from('not an image yet'));
    await upload(stack.imagesBucket, emptyKey, Buffer.alloc(0));
    await eventually(
      'both broken uploads to reach the dead-letter queue',
      async () => ((await queueDepth(stack.deadLetterQueueUrl)) === 2 ? true : undefined),
      { timeoutMs: 120_000, intervalMs: 1_000 },
    );

    const dryRun = (await slsInvoke('redrive', { dryRun: true })) as { samples: unknown[] };
    expect(dryRun).toMatchObject({
      dryRun: true,
      inQueueAtStart: 2,
      found: 2,
      moved: 0,
      failed: 0,
      reasons: { 'unsupported-format': 1, 'empty-object': 1 },
      stoppedBecause: 'empty',
    });
    const iso = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(dryRun.samples).toHaveLength(2);
    expect(dryRun.samples).toEqual(
      expect.arrayContaining([
        {
          objectKey: brokenKey,
          failureCode: 'unsupported-format',
          reason: expect.any(String),
          failedAt: iso,
          receiveCount: 1,
        },
        {
          objectKey: emptyKey,
          failureCode: 'empty-object',
          reason: expect.any(String),
          failedAt: iso,
          receiveCount: 1,
        },
      ]),
    );
    // Released as the dry run ends: nothing hidden from the operator or the dead-letter alarm.
    expect(await visibleDepth(stack.deadLetterQueueUrl)).toBe(2);

    // The fix: a valid image replaces the broken one. Its own upload notification makes thumbnails too,
    // so wait for those and delete them: what appears after the redrive comes from the redriven message.
    await upload(stack.imagesBucket, brokenKey, await makeJpeg(320, 240));
    await waitForThumbnails(stack, brokenKey);
    await deletePrefix(stack.thumbnailsBucket, `${brokenKey}/`);
    expect(await listKeys(stack.thumbnailsBucket, `${brokenKey}/`)).toEqual([]);

    const redrive = await slsInvoke('redrive', { failureCodes: ['unsupported-format'], perSecond: 5 });
    expect(redrive).toEqual({
      dryRun: false,
      failureCodes: ['unsupported-format'],
      inQueueAtStart: 2,
      found: 2,
      moved: 1,
      failed: 0,
      notDeleted: 0,
      notMatching: 1,
      arrivedDuringRun: 0,
      reasons: { 'unsupported-format': 1, 'empty-object': 1 },
      stoppedBecause: 'all-seen',
      next: 'every message there at the start was looked at; run it again if the queue was still filling',
    });
    // The empty object's dead letter stays, visible at once.
    expect(await visibleDepth(stack.deadLetterQueueUrl)).toBe(1);
    expect((await deadLettersFor(stack, prefix)).map((letter) => letter.keys)).toEqual([[emptyKey]]);

    const thumbnails = await waitForThumbnails(stack, brokenKey);
    expect(thumbnails).toEqual(stack.sizes.map((box) => `${brokenKey}/${box.label}.jpg`).sort());
    expect(await queueDepth(stack.deadLetterQueueUrl)).toBe(1);
  });
});
