import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { parseImageMessage } from '../../src/thumbnail/s3-event';
import { makeJpeg } from '../../scripts/lib/sample-images';
import { eventually } from '../../scripts/lib/eventually';
import { functionLogLines } from './support/logs';
import { deletePrefix, describeStack, listKeys, sqs, uniquePrefix, upload, type Stack } from '../../scripts/lib/stack';

jest.setTimeout(180_000);

/** Dead-letter messages naming objects under `prefix`, with their receipt handles. */
async function deadLettersFor(stack: Stack, prefix: string) {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: stack.deadLetterQueueUrl,
      MaxNumberOfMessages: 10,
      VisibilityTimeout: 0,
      WaitTimeSeconds: 1,
    }),
  );
  return Messages.flatMap((message) => {
    const parsed = parseImageMessage(message.Body ?? '');
    const keys = parsed.kind === 'objects' ? parsed.objects.map((object) => object.key) : [];
    return keys.some((key) => key.startsWith(prefix)) ? [{ keys, receiptHandle: message.ReceiptHandle! }] : [];
  });
}

describe('a corrupt image uploaded among good ones', () => {
  let stack: Stack;
  const prefix = uniquePrefix('corrupt');

  beforeAll(async () => {
    stack = await describeStack();
  });

  afterAll(async () => {
    for (const { receiptHandle } of await deadLettersFor(stack, prefix)) {
      await sqs.send(new DeleteMessageCommand({ QueueUrl: stack.deadLetterQueueUrl, ReceiptHandle: receiptHandle }));
    }
    await deletePrefix(stack.imagesBucket, prefix);
    await deletePrefix(stack.thumbnailsBucket, prefix);
  });

  it('lands in the dead-letter queue after maxReceiveCount attempts, while the good images get their thumbnails', async () => {
    const corruptKey = `${prefix}/broken.jpg`;
    const goodKeys = [`${prefix}/good-1.jpg`, `${prefix}/good-2.jpg`];
    const jpeg = await makeJpeg(400, 300);
    // A JPEG cut off after its first kilobyte: the header is fine, the data is not.
    await upload(stack.imagesBucket, corruptKey, jpeg.subarray(0, 1024));
    await Promise.all(goodKeys.map((key) => upload(stack.imagesBucket, key, jpeg)));

    for (const key of goodKeys) {
      await eventually(`thumbnails of ${key}`, async () => {
        const keys = await listKeys(stack.thumbnailsBucket, `${key}/`);
        return keys.length === stack.sizes.length ? keys : undefined;
      });
    }

    const deadLetters = await eventually(
      `the dead-letter queue to receive ${corruptKey}`,
      async () => {
        const found = await deadLettersFor(stack, prefix);
        return found.length > 0 ? found : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 1_000 },
    );
    expect(deadLetters.map(({ keys }) => keys)).toEqual([[corruptKey]]);
    expect(await listKeys(stack.thumbnailsBucket, `${corruptKey}/`)).toEqual([]);

    // Each attempt logged why it failed; there were exactly maxReceiveCount of them.
    const failures = await eventually(`${stack.maxReceiveCount} failure log lines for ${corruptKey}`, async () => {
      const lines = (await functionLogLines('thumbnail')).filter(
        (line) => line.key === corruptKey && line.outcome === 'failure',
      );
      return lines.length >= stack.maxReceiveCount ? lines : undefined;
    });
    expect(failures).toHaveLength(stack.maxReceiveCount);
    expect(failures[0]!.reason).toMatch(/^UnreadableImageError: /);
  });
});
