import sharp from 'sharp';
import { makeJpeg } from '../support/sample-images';
import { eventually } from '../support/eventually';
import { listKeys, upload, waitForThumbnails, type Stack } from '../support/stack';
import { deadLettersFor, type DeadLetter } from './support/dead-letters';
import { functionLogLines } from './support/logs';
import { setThumbnailFunctionEnvironment, thumbnailFunctionEnvironment } from './support/thumbnail-function';
import { useTestPrefix } from './support/test-prefix';

jest.setTimeout(240_000);

describe('an image whose render runs past its budget, uploaded between good ones', () => {
  const scope = useTestPrefix('render-budget');
  const { prefix } = scope;
  let stack: Stack;
  let environment: Record<string, string>;

  beforeAll(async () => {
    stack = scope.stack;
    environment = await thumbnailFunctionEnvironment();
    // A small budget: the good images render in a fraction of it, the hostile one in over three times it.
    await setThumbnailFunctionEnvironment({ ...environment, RENDER_BUDGET_MS: '400' });
  });

  afterAll(async () => {
    await setThumbnailFunctionEnvironment(environment);
  });

  it('is stopped and dead-lettered once with render-timed-out, while every other image gets its thumbnails', async () => {
    const hostileKey = `${prefix}/hostile.png`;
    const goodKeys = [`${prefix}/good-1.jpg`, `${prefix}/good-2.jpg`];
    const good = await makeJpeg(400, 300);
    // 49 MP of one colour: 700 KB, under every size and pixel limit, and over a second to render. A PNG:
    // a JPEG this size is decoded at 1/8 for these thumbnails, in a fraction of the budget.
    const hostile = await sharp({
      create: { width: 7000, height: 7000, channels: 3, background: { r: 200, g: 100, b: 50 } },
    })
      .png()
      .toBuffer();
    await upload(stack.imagesBucket, goodKeys[0]!, good);
    await upload(stack.imagesBucket, hostileKey, hostile);
    await upload(stack.imagesBucket, goodKeys[1]!, good);

    for (const key of goodKeys) await waitForThumbnails(stack, key);
    // Read the dead-letter queue through (each letter hidden once seen) until the hostile one is there.
    const letters: DeadLetter[] = [];
    await eventually(`the dead-letter queue to receive ${hostileKey}`, async () => {
      letters.push(...(await deadLettersFor(stack, prefix, 60)));
      return letters.some((letter) => letter.keys.includes(hostileKey)) ? true : undefined;
    });
    // Nothing else of this batch comes: no retries-exhausted copy, no neighbour dead-lettered.
    letters.push(...(await deadLettersFor(stack, prefix, 60)));
    expect(letters).toEqual([
      expect.objectContaining({
        keys: [hostileKey],
        attributes: {
          'failure-code': 'render-timed-out',
          'failure-reason':
            'RenderStoppedError: the render took longer than its budget of 400 ms (RENDER_BUDGET_MS) and was stopped',
          'failed-at': expect.stringMatching(/^\d{4}-/),
        },
      }),
    ]);
    expect(await listKeys(stack.thumbnailsBucket, `${hostileKey}/`)).toEqual([]);
    // One attempt: a render that overran once overruns again.
    const failures = await eventually(`the failure log line of ${hostileKey}`, async () => {
      const found = (await functionLogLines('thumbnail', hostileKey)).filter((line) => line.outcome === 'failure');
      return found.length > 0 ? found : undefined;
    });
    expect(failures).toEqual([expect.objectContaining({ key: hostileKey, permanent: true })]);
  });
});
