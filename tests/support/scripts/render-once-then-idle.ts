/**
 * Renders one image through a render worker and then does nothing: the process must exit by itself.
 * Run as a child process by tests/unit/thumbnail/render-worker.test.ts; prints "rendered N".
 */
import { createRenderWorker } from '../../../src/thumbnail/render-worker';
import { parseBoundingBoxes } from '../../../src/thumbnail/sizes';
import { makeJpeg } from '../sample-images';

async function main(): Promise<void> {
  const worker = createRenderWorker({ budgetMs: 30_000, maxHeapMb: 256 });
  const thumbnails = await worker.render(await makeJpeg(200, 100), parseBoundingBoxes('50x50'), {
    outputFormat: 'auto',
    quality: 80,
    budget: { maxPixels: 50_000_000, maxBytes: 2_000_000_000 },
  });
  console.log(`rendered ${thumbnails.length}`);
}

void main();
