import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { eventually } from '../support/eventually';
import { listKeys, sqs, upload, type Stack, waitForThumbnails } from '../support/stack';
import { fixtures, pngDeclaring } from '../support/fixtures';
import { deadLettersFor } from './support/dead-letters';
import { useTestPrefix } from './support/test-prefix';

jest.setTimeout(180_000);

describe('uploads that are not usable images', () => {
  const scope = useTestPrefix('bad-inputs');
  const { prefix } = scope;
  let stack: Stack;

  beforeAll(async () => {
    stack = scope.stack;
  });

  it('each end as thumbnails or as a dead-letter message saying why, after one attempt', async () => {
    const bad: Record<string, [Buffer, string]> = {
      [`${prefix}/empty.jpg`]: [Buffer.alloc(0), 'empty-object'],
      [`${prefix}/notes.jpg`]: [Buffer.from('shopping list: milk, eggs'), 'unsupported-format'],
      [`${prefix}/drawing.svg`]: [Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), 'unsupported-format'],
      [`${prefix}/bomb.png`]: [await pngDeclaring(100_000, 100_000), 'too-many-pixels'],
      [`${prefix}/cut short.png`]: [(await fixtures.png()).subarray(0, 4000), 'corrupt-image'],
    };
    const good: Record<string, [Buffer, string]> = {
      [`${prefix}/actually a png.jpg`]: [await fixtures.png(), 'png'],
      // Opaque images come out as JPEG whatever they came in as (thumbnailFormat auto).
      [`${prefix}/animated.gif`]: [await fixtures.animatedGif(), 'jpg'],
      [`${prefix}/scan.tiff`]: [await fixtures.tiff(), 'jpg'],
      [`${prefix}/modern.webp`]: [await fixtures.webp(), 'jpg'],
      [`${prefix}/cmyk+print.jpg`]: [await fixtures.cmykJpeg(), 'jpg'],
    };
    await Promise.all(
      Object.entries({ ...bad, ...good }).map(([key, [body]]) => upload(stack.imagesBucket, key, body)),
    );
    // A message that did not come from S3 at all.
    await sqs.send(
      new SendMessageCommand({ QueueUrl: stack.imagesQueueUrl, MessageBody: `not json, about ${prefix}` }),
    );

    for (const [key, [, extension]] of Object.entries(good)) {
      const expected = stack.sizes.map((box) => `${key}/${box.label}.${extension}`).sort();
      expect(await waitForThumbnails(stack, key)).toEqual(expected);
    }

    const codes = await eventually('a dead-letter message for every bad upload', async () => {
      const found = await deadLettersFor(stack, prefix);
      const byKey = Object.fromEntries(found.flatMap(({ keys, attributes }) => keys.map((key) => [key, attributes])));
      return Object.keys(bad).every((key) => byKey[key]) ? byKey : undefined;
    });
    for (const [key, [, code]] of Object.entries(bad)) {
      expect({ key, code: codes[key]!['failure-code'] }).toEqual({ key, code });
      expect(codes[key]!['failure-reason']).toBeTruthy();
      expect(await listKeys(stack.thumbnailsBucket, `${key}/`)).toEqual([]);
    }
  });
});
