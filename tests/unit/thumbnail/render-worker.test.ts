import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { ImageTooLargeError, RenderStoppedError, UnreadableImageError } from '../../../src/errors';
import { renderThumbnails } from '../../../src/images/render';
import { createRenderWorker, type RenderWorker } from '../../../src/thumbnail/render-worker';
import { parseBoundingBoxes } from '../../../src/thumbnail/sizes';
import { makeJpeg } from '../../support/sample-images';

jest.setTimeout(60_000);

const boxes = parseBoundingBoxes('75x75,400x300');
const options = {
  outputFormat: 'auto',
  quality: 80,
  budget: { maxPixels: 50_000_000, maxBytes: 2_000_000_000 },
} as const;

/** 49 MP of one colour: 300 KB of JPEG that takes most of a second to decode and shrink. */
const slowToRender = () =>
  sharp({ create: { width: 7000, height: 7000, channels: 3, background: { r: 200, g: 100, b: 50 } } })
    .jpeg()
    .toBuffer();

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; result: PromiseSettledResult<T> }> {
  const started = Date.now();
  const [result] = await Promise.allSettled([work()]);
  return { ms: Date.now() - started, result: result! };
}

describe('createRenderWorker', () => {
  let worker: RenderWorker;
  afterEach(() => worker.close());

  it('renders, in one worker kept across renders, exactly what the render step renders in this thread', async () => {
    worker = createRenderWorker({ budgetMs: 30_000, maxHeapMb: 256 });
    const photo = await makeJpeg(640, 480);

    const first = await worker.render(photo, boxes, options);
    const second = await worker.render(await makeJpeg(100, 80), boxes, options);

    const inThread = await renderThumbnails(photo, boxes, options);
    expect(first.map(({ body: _body, ...rest }) => rest)).toEqual(inThread.map(({ body: _body, ...rest }) => rest));
    first.forEach((thumbnail, index) => {
      expect(Buffer.isBuffer(thumbnail.body)).toBe(true);
      expect(thumbnail.body.equals(inThread[index]!.body)).toBe(true);
    });
    expect(second.map(({ width, height }) => [width, height])).toEqual([
      [75, 60],
      [100, 80],
    ]);
    expect(worker.workersStarted).toBe(1);
  });

  it('stops a render over its budget long before it would end, then renders the next image in a new worker', async () => {
    const big = await slowToRender();
    // A large thumbnail too: the render cannot decode the JPEG reduced, so it stays slow.
    const largeBoxes = parseBoundingBoxes('75x75,4000x4000');
    const uninterrupted = await timed(() => renderThumbnails(big, largeBoxes, options));
    expect(uninterrupted.result.status).toBe('fulfilled');
    worker = createRenderWorker({ budgetMs: 100, maxHeapMb: 256 });
    // A warm worker: its start-up is not part of any render's budget anyway.
    await worker.render(await makeJpeg(64, 64), boxes, options);

    const stopped = await timed(() => worker.render(big, largeBoxes, options));

    expect(stopped.result).toEqual({ status: 'rejected', reason: expect.any(RenderStoppedError) });
    const reason = (stopped.result as PromiseRejectedResult).reason as RenderStoppedError;
    expect(reason.code).toBe('render-timed-out');
    expect(reason.message).toBe('the render took longer than its budget of 100 ms (RENDER_BUDGET_MS) and was stopped');
    // Stopped, not waited for: the render in this thread took several times the budget.
    expect(stopped.ms).toBeLessThan(uninterrupted.ms);
    const next = await worker.render(await makeJpeg(64, 64), boxes, options);
    expect(next).toHaveLength(2);
    expect(worker.workersStarted).toBe(2);
  });

  it("brings the image's own failures back with their class and code, and keeps the worker", async () => {
    worker = createRenderWorker({ budgetMs: 30_000, maxHeapMb: 256 });

    const notAnImage = worker.render(Buffer.from('definitely not an image'), boxes, options);
    await expect(notAnImage).rejects.toBeInstanceOf(UnreadableImageError);
    await expect(notAnImage).rejects.toMatchObject({ code: 'unsupported-format' });
    const tooManyPixels = worker.render(await makeJpeg(200, 200), boxes, {
      ...options,
      budget: { ...options.budget, maxPixels: 100 },
    });
    await expect(tooManyPixels).rejects.toBeInstanceOf(ImageTooLargeError);
    await expect(tooManyPixels).rejects.toMatchObject({ code: 'too-many-pixels' });
    expect(worker.workersStarted).toBe(1);
  });

  it('starts the worker on prestart, without a render, and renders in it afterwards; a second prestart starts none', async () => {
    worker = createRenderWorker({ budgetMs: 30_000, maxHeapMb: 256 });
    expect(worker.workersStarted).toBe(0);

    worker.prestart();
    expect(worker.workersStarted).toBe(1);
    worker.prestart();
    const [thumbnail] = await worker.render(await makeJpeg(100, 80), parseBoundingBoxes('75x75'), options);

    expect([thumbnail!.width, thumbnail!.height]).toEqual([75, 60]);
    expect(worker.workersStarted).toBe(1);
  });

  it('renders one image at a time, in order, when asked for several at once', async () => {
    worker = createRenderWorker({ budgetMs: 30_000, maxHeapMb: 256 });
    const sizes = [40, 50, 60];

    const results = await Promise.all(
      sizes.map(async (size) => worker.render(await makeJpeg(size, size), parseBoundingBoxes('400x300'), options)),
    );

    expect(results.map(([thumbnail]) => thumbnail!.width)).toEqual(sizes);
  });
});

describe('an idle render worker', () => {
  it('does not keep the process alive: a process that rendered once and has nothing left to do exits', async () => {
    // A worker (or its message port) left referenced would hang the process: a test run that never
    // ends, a script that never returns. The child is killed if it has not exited within 20 s.
    const script = join(__dirname, '..', '..', 'support', 'scripts', 'render-once-then-idle.ts');
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script], {
      timeout: 20_000,
    });
    expect(stdout.trim()).toBe('rendered 1');
  });
});
