import './support/stage-local-bridge';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { eventually } from '../support/eventually';
import { makeJpeg } from '../support/sample-images';
import { STACK_NAME, upload, waitForThumbnails, type Stack } from '../support/stack';
import { deadLettersFor } from './support/dead-letters';
import { slsInvoke } from './support/sls';
import { setThumbnailFunctionEnvironment, thumbnailFunctionEnvironment } from './support/thumbnail-function';
import { useTestPrefix } from './support/test-prefix';

jest.setTimeout(240_000);

describe('a stack deployed with ingest=eventbridge (S3 -> EventBridge -> rule -> images queue)', () => {
  const scope = useTestPrefix('bridge');
  const { prefix } = scope;
  let stack: Stack;
  let environment: Record<string, string>;

  beforeAll(async () => {
    stack = scope.stack;
    environment = await thumbnailFunctionEnvironment();
  });

  afterAll(async () => {
    await setThumbnailFunctionEnvironment(environment);
  });

  it('is the stack of stage local-bridge, and says it ingests through EventBridge', async () => {
    const described = await new CloudFormationClient({}).send(new DescribeStacksCommand({ StackName: STACK_NAME }));
    const outputs = described.Stacks?.[0]?.Outputs ?? [];
    expect(STACK_NAME).toBe('thumbnails-local-bridge');
    expect(outputs.find((output) => output.OutputKey === 'Ingest')?.OutputValue).toBe('eventbridge');
  });

  it('gives an upload its thumbnails', async () => {
    const key = `${prefix}/my photo+1.jpg`;
    await upload(stack.imagesBucket, key, await makeJpeg(640, 480));

    expect(await waitForThumbnails(stack, key)).toEqual(stack.sizes.map((box) => `${key}/${box.label}.jpg`).sort());
  });

  it('parks an upload that fails in the dead-letter queue, with its reason, and the redrive brings it back', async () => {
    // The fault: a bad deployment sets a byte limit no image fits, so a valid JPEG is refused at once.
    await setThumbnailFunctionEnvironment({ ...environment, MAX_IMAGE_BYTES: '100' });
    const key = `${prefix}/refused.jpg`;
    await upload(stack.imagesBucket, key, await makeJpeg(320, 240));

    const [deadLetter] = await eventually(
      `${key} to reach the dead-letter queue`,
      async () => {
        const found = await deadLettersFor(stack, prefix);
        return found.length > 0 ? found : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 1_000 },
    );
    expect(deadLetter).toMatchObject({ keys: [key], attributes: { 'failure-code': 'too-many-bytes' } });

    await setThumbnailFunctionEnvironment(environment); // the fix
    const summary = (await slsInvoke('redrive', {})) as { moved: number; reasons: Record<string, number> };
    expect(summary.moved).toBeGreaterThanOrEqual(1);
    expect(summary.reasons['too-many-bytes']).toBeGreaterThanOrEqual(1);

    expect(await waitForThumbnails(stack, key)).toHaveLength(stack.sizes.length);
    expect(await deadLettersFor(stack, prefix)).toEqual([]);
  });
});
