import { makeJpeg } from '../support/sample-images';
import { eventually } from '../support/eventually';
import { listKeys, upload, type Stack, waitForThumbnails } from '../support/stack';
import { deadLettersFor } from './support/dead-letters';
import { functionLogLines } from './support/logs';
import { useTestPrefix } from './support/test-prefix';

jest.setTimeout(180_000);

describe('a corrupt image uploaded among good ones', () => {
  const scope = useTestPrefix('corrupt');
  const { prefix } = scope;
  let stack: Stack;

  beforeAll(async () => {
    stack = scope.stack;
  });

  it('goes to the dead-letter queue at once with its reason, while the good images get their thumbnails', async () => {
    const corruptKey = `${prefix}/broken.jpg`;
    const goodKeys = [`${prefix}/good-1.jpg`, `${prefix}/good-2.jpg`];
    const jpeg = await makeJpeg(400, 300);
    // A JPEG cut off after its first kilobyte: the header is fine, the data is not.
    await upload(stack.imagesBucket, corruptKey, jpeg.subarray(0, 1024));
    await Promise.all(goodKeys.map((key) => upload(stack.imagesBucket, key, jpeg)));

    for (const key of goodKeys) await waitForThumbnails(stack, key);

    const deadLetters = await eventually(`the dead-letter queue to receive ${corruptKey}`, async () => {
      const found = await deadLettersFor(stack, prefix);
      return found.length > 0 ? found : undefined;
    });
    expect(deadLetters).toEqual([
      expect.objectContaining({
        keys: [corruptKey],
        attributes: {
          'failure-code': 'corrupt-image',
          'failure-reason': expect.stringMatching(/^UnreadableImageError: the jpeg data cannot be decoded/),
          'failed-at': expect.stringMatching(/^\d{4}-/),
        },
      }),
    ]);
    expect(await listKeys(stack.thumbnailsBucket, `${corruptKey}/`)).toEqual([]);

    // One attempt, not maxReceiveCount: a corrupt file does not get better with retries.
    const failures = await eventually(`the failure log line of ${corruptKey}`, async () => {
      const found = (await functionLogLines('thumbnail', corruptKey)).filter((line) => line.outcome === 'failure');
      return found.length > 0 ? found : undefined;
    });
    expect(failures).toEqual([expect.objectContaining({ key: corruptKey, permanent: true })]);
    const messageLines = await eventually('the dead-lettered log line', async () => {
      const found = await functionLogLines('thumbnail', String(failures[0]!.messageId));
      return found.some((line) => line.outcome === 'dead-lettered') ? found : undefined;
    });
    expect(messageLines).toContainEqual(
      expect.objectContaining({ outcome: 'dead-lettered', failureCode: 'corrupt-image' }),
    );
  });
});
