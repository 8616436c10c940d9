import { GetQueueAttributesCommand, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { makeJpeg } from '../support/sample-images';
import { download, listKeys, sqs, upload, waitForThumbnails, type Stack } from '../support/stack';
import { eventually } from '../support/eventually';
import { deadLettersFor } from './support/dead-letters';
import { functionLogLines } from './support/logs';
import { slsInvoke } from './support/sls';
import { setThumbnailFunctionEnvironment, thumbnailFunctionEnvironment } from './support/thumbnail-function';
import { useTestPrefix } from './support/test-prefix';

jest.setTimeout(240_000);

describe('a thumbnail function that crashes', () => {
  const scope = useTestPrefix('crash');
  const { prefix } = scope;
  let stack: Stack;
  let environment: Record<string, string>;
  let visibilityTimeout: string;

  beforeAll(async () => {
    stack = scope.stack;
    environment = await thumbnailFunctionEnvironment();
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: stack.imagesQueueUrl, AttributeNames: ['VisibilityTimeout'] }),
    );
    visibilityTimeout = Attributes!.VisibilityTimeout!;
  });

  afterAll(async () => {
    await setThumbnailFunctionEnvironment(environment);
    await sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: stack.imagesQueueUrl,
        Attributes: { VisibilityTimeout: visibilityTimeout },
      }),
    );
  });

  it('gets every message of its batches again until they are parked, and after a redrive writes the same keys and bytes', async () => {
    const photo = await makeJpeg(800, 600);
    const first = `${prefix}/already-done.jpg`;
    await upload(stack.imagesBucket, first, photo);
    const before = await Promise.all(
      (await waitForThumbnails(stack, first)).map(
        async (key) => [key, (await download(stack.thumbnailsBucket, key)).body] as const,
      ),
    );

    // The crash: a bad configuration makes every invocation fail before it reports anything, so SQS
    // keeps the whole batch. A short visibility timeout brings it back within seconds, not minutes.
    // (Before the fix, each redelivery crashes again: maxReceiveCount receives later, SQS parks it.)
    await sqs.send(
      new SetQueueAttributesCommand({ QueueUrl: stack.imagesQueueUrl, Attributes: { VisibilityTimeout: '5' } }),
    );
    await setThumbnailFunctionEnvironment({ ...environment, THUMBNAIL_SIZES: 'crash' });
    const batch = [first, `${prefix}/second.jpg`, `${prefix}/third.jpg`];
    await Promise.all(batch.map((key) => upload(stack.imagesBucket, key, photo)));
    // Every message of the crashed batches is delivered again and again, then parked after maxReceiveCount.
    const parked = await eventually(
      'every message of the crashed batches in the dead-letter queue',
      async () => {
        const keys = (await deadLettersFor(stack, prefix)).flatMap((letter) => letter.keys);
        return batch.every((key) => keys.includes(key)) ? keys : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 1_000 },
    );
    expect(parked.sort()).toEqual([...batch].sort());
    expect(await listKeys(stack.thumbnailsBucket, `${prefix}/second.jpg/`)).toEqual([]);

    // The fix, then a redrive: every message comes back and is processed.
    await setThumbnailFunctionEnvironment(environment);
    expect(await slsInvoke('redrive', {})).toMatchObject({ moved: expect.any(Number), failed: 0 });
    for (const key of batch.slice(1)) await waitForThumbnails(stack, key);
    await eventually(`${first} to be processed again`, async () => {
      const successes = (await functionLogLines('thumbnail', first)).filter((line) => line.outcome === 'success');
      return successes.length >= 2 ? true : undefined;
    });
    for (const [key, body] of before) {
      expect((await download(stack.thumbnailsBucket, key)).body.equals(body)).toBe(true);
    }
  });
});
