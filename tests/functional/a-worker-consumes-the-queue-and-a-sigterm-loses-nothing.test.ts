/**
 * `consumer: worker`: the stack of stage `local-worker` (deployed by `make test-functional` beside `local`)
 * has no event source mapping on the images queue, so only `npm run worker` processes uploads. The worker
 * is run as a user runs it, as a child process, and stopped with SIGTERM in the middle of the queue.
 */
import './support/stage-local-worker';
import { spawn, type ChildProcess } from 'node:child_process';
import { ListEventSourceMappingsCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { makeJpeg } from '../support/sample-images';
import { listKeys, queueDepth, sqs, STACK_NAME, upload } from '../support/stack';
import { eventually } from '../support/eventually';
import { deadLettersFor } from './support/dead-letters';
import { useTestPrefix } from './support/test-prefix';

jest.setTimeout(300_000);

const STAGE = 'local-worker';

interface WorkerRun {
  readonly child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started: ChildProcess[] = [];

/** The worker as `make worker` runs it (Node with tsx's loader, from the checkout): signals reach it directly. */
function startWorker(...args: string[]): WorkerRun {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/worker/main.ts', '--stage', STAGE, ...args], {
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let printed = '';
  child.stdout!.on('data', (chunk: Buffer) => (printed += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (printed += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => printed, exited };
}

async function exitOf(run: WorkerRun) {
  const result = await run.exited;
  return { ...result, output: run.output() };
}

describe('a stack whose images queue is consumed by workers', () => {
  const scope = useTestPrefix('worker');
  const { prefix } = scope;

  // A worker a failed assertion left running would hold the queue and keep jest from exiting.
  afterAll(() => {
    for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  it('has no event source mapping: uploads wait in the queue for a worker', async () => {
    const { EventSourceMappings = [] } = await new LambdaClient({}).send(
      new ListEventSourceMappingsCommand({ FunctionName: `${STACK_NAME}-thumbnail` }),
    );
    expect(EventSourceMappings.filter((mapping) => mapping.EventSourceArn?.endsWith(`${STACK_NAME}-images`))).toEqual(
      [],
    );
  });

  it('processes every upload; a SIGTERM mid-queue, and a second signal, lose nothing after a restart', async () => {
    const { stack } = scope;
    const photo = await makeJpeg(4000, 3000);
    const keys = Array.from({ length: 8 }, (_, i) => `${prefix}/photo-${i}.jpg`);
    const corrupt = `${prefix}/not-an-image.jpg`;
    await Promise.all(keys.map((key) => upload(stack.imagesBucket, key, photo)));
    await upload(stack.imagesBucket, corrupt, Buffer.from('not an image at all'));
    await eventually('every upload in the images queue', async () =>
      (await queueDepth(stack.imagesQueueUrl)) >= keys.length + 1 ? true : undefined,
    );
    // Nothing consumes the queue without a worker.
    expect(await listKeys(stack.thumbnailsBucket, `${prefix}/`)).toEqual([]);

    // SIGTERM as soon as the first object is done: in-flight work finishes, nothing more is received.
    const first = startWorker('--concurrency', '1');
    await eventually('the first object done', async () => (/^ok /m.test(first.output()) ? true : undefined), {
      timeoutMs: 120_000,
    });
    first.child.kill('SIGTERM');
    const firstExit = await exitOf(first);
    expect(firstExit).toMatchObject({ code: 0 });
    expect(firstExit.output).toMatch(/thumbnail worker: settings from stack thumbnails-local-worker/);
    expect(firstExit.output).toMatch(/SIGTERM: receiving no more/);
    expect(firstExit.output).toMatch(/messages received {7}\d/);
    const doneFirst = Number(/ {2}succeeded {13}(\d+)/.exec(firstExit.output)![1]);
    expect(doneFirst).toBeGreaterThanOrEqual(1);
    expect(doneFirst).toBeLessThan(keys.length);

    // Two signals in a row: it exits at once, leaving what it held to SQS.
    const second = startWorker('--concurrency', '2', '--visibility-timeout', '30');
    await eventually(
      'a message received',
      async () => (/^(ok|failed|dead) /m.test(second.output()) ? true : undefined),
      {
        timeoutMs: 120_000,
      },
    );
    // The second as soon as the first is handled (a signal sent while the same one is pending merges into
    // it), while the photos in flight (12 MP) are still being rendered.
    let secondSent = false;
    second.child.stdout!.on('data', () => {
      if (secondSent || !/SIGINT: receiving no more/.test(second.output())) return;
      secondSent = true;
      second.child.kill('SIGINT');
    });
    second.child.kill('SIGINT');
    expect((await exitOf(second)).code).toBe(130);
    // What it held comes back once its visibility runs out (at most 30 s).
    await eventually(
      'no message hidden any more',
      async () => {
        const { Attributes = {} } = await sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl: stack.imagesQueueUrl,
            AttributeNames: ['ApproximateNumberOfMessagesNotVisible'],
          }),
        );
        return Attributes.ApproximateNumberOfMessagesNotVisible === '0' ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 1_000 },
    );

    // Restarted with --once: it drains the queue and exits by itself.
    const third = await exitOf(startWorker('--concurrency', '2', '--once'));
    expect(third.code).toBe(0);

    // Every object ended as thumbnails, or as one dead letter with its reason; nothing left in the queue.
    for (const key of keys) {
      expect((await listKeys(stack.thumbnailsBucket, `${key}/`)).length).toBe(stack.sizes.length);
    }
    const letters = await deadLettersFor(stack, prefix);
    expect(letters.map((letter) => [letter.keys, letter.attributes['failure-code']])).toEqual([
      [[corrupt], 'unsupported-format'],
    ]);
    expect(await queueDepth(stack.imagesQueueUrl)).toBe(0);
  });
});
