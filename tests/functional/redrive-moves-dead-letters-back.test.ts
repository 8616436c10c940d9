import { GetQueueAttributesCommand, PurgeQueueCommand } from '@aws-sdk/client-sqs';
import { makeJpeg } from '../support/sample-images';
import { eventually } from '../support/eventually';
import { slsInvoke } from './support/sls';
import { deadLettersFor, deleteDeadLetters } from './support/dead-letters';
import { listKeys, queueDepth, sqs, upload, waitForThumbnails, type Stack } from '../support/stack';
import { setThumbnailFunctionEnvironment, thumbnailFunctionEnvironment } from './support/thumbnail-function';
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
  const tooLargeKey = `${prefix}/was-too-large.jpg`;
  const emptyKey = `${prefix}/still-empty.jpg`;
  let stack: Stack;
  let environment: Record<string, string>;

  beforeAll(async () => {
    stack = scope.stack;
    environment = await thumbnailFunctionEnvironment();
    // Counts below are exact, so start from an empty dead-letter queue.
    await sqs.send(new PurgeQueueCommand({ QueueUrl: stack.deadLetterQueueUrl }));
    await eventually('an empty dead-letter queue', async () =>
      (await queueDepth(stack.deadLetterQueueUrl)) === 0 ? true : undefined,
    );
  });

  afterAll(async () => {
    await setThumbnailFunctionEnvironment(environment);
    // The empty object's dead letter is left behind on purpose by the test; remove it.
    await deleteDeadLetters(stack, await deadLettersFor(stack, prefix, 5));
  });

  it('shows samples in a dry run, moves only the failure codes asked for, and the moved message then makes thumbnails', async () => {
    // The fault: a bad deployment sets a byte limit no image fits, so a valid JPEG is refused at once.
    // The object itself is never changed, so whatever thumbnails appear come from the redriven message.
    await setThumbnailFunctionEnvironment({ ...environment, MAX_IMAGE_BYTES: '100' });
    await upload(stack.imagesBucket, tooLargeKey, await makeJpeg(320, 240));
    await upload(stack.imagesBucket, emptyKey, Buffer.alloc(0));
    await eventually(
      'both uploads to reach the dead-letter queue',
      async () => ((await queueDepth(stack.deadLetterQueueUrl)) === 2 ? true : undefined),
      { timeoutMs: 120_000, intervalMs: 1_000 },
    );
    await setThumbnailFunctionEnvironment(environment); // the fix

    const dryRun = (await slsInvoke('redrive', { dryRun: true })) as { samples: unknown[] };
    expect(dryRun).toMatchObject({
      dryRun: true,
      inQueueAtStart: 2,
      found: 2,
      moved: 0,
      failed: 0,
      reasons: { 'too-many-bytes': 1, 'empty-object': 1 },
      stoppedBecause: 'empty',
    });
    const iso = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(dryRun.samples).toHaveLength(2);
    expect(dryRun.samples).toEqual(
      expect.arrayContaining([
        {
          objectKey: tooLargeKey,
          failureCode: 'too-many-bytes',
          reason: expect.stringContaining('MAX_IMAGE_BYTES'),
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
    // Made visible again as the dry run ends: nothing hidden from the operator or the dead-letter alarm.
    expect(await visibleDepth(stack.deadLetterQueueUrl)).toBe(2);
    expect(await listKeys(stack.thumbnailsBucket, `${tooLargeKey}/`)).toEqual([]);

    const redrive = await slsInvoke('redrive', { failureCodes: ['too-many-bytes'], perSecond: 5 });
    expect(redrive).toEqual({
      dryRun: false,
      failureCodes: ['too-many-bytes'],
      inQueueAtStart: 2,
      found: 2,
      moved: 1,
      failed: 0,
      notDeleted: 0,
      notMatching: 1,
      arrivedDuringRun: 0,
      reasons: { 'too-many-bytes': 1, 'empty-object': 1 },
      stoppedBecause: 'all-seen',
      next: 'every message there at the start was looked at; run it again if the queue was still filling',
    });
    // The empty object's dead letter stays, visible at once.
    expect(await visibleDepth(stack.deadLetterQueueUrl)).toBe(1);
    expect((await deadLettersFor(stack, prefix)).map((letter) => letter.keys)).toEqual([[emptyKey]]);

    const thumbnails = await waitForThumbnails(stack, tooLargeKey);
    expect(thumbnails).toEqual(stack.sizes.map((box) => `${tooLargeKey}/${box.label}.jpg`).sort());
    expect(await queueDepth(stack.deadLetterQueueUrl)).toBe(1);
  });
});
