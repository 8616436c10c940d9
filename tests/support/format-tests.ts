import { PermanentFailure } from '../../src/errors';
import type { DecodeBudget, DecodedImage, ImageFormat } from '../../src/images/types';

/** Shared by the format modules' tests: decode through a module as the render step does, and measure it. */

/** Sniffs, inspects and decodes `file` with `format`, as the decode layer would (minus the budget check). */
export async function decodeWith(format: ImageFormat, file: Buffer, budget: DecodeBudget): Promise<DecodedImage> {
  expect(format.sniff(file)).toBe(true);
  return format.decode(file, format.inspect(file, budget));
}

/** RGBA of one pixel of a decoded image. */
export function pixel(image: DecodedImage, x: number, y: number): number[] {
  const at = (y * image.bitmap.width + x) * 4;
  return [...image.bitmap.data.subarray(at, at + 4)];
}

/** The PermanentFailure `run` throws (synchronously or not); anything else thrown is rethrown. */
export async function failure(run: () => unknown): Promise<PermanentFailure> {
  try {
    await run();
  } catch (error) {
    if (error instanceof PermanentFailure) return error;
    throw error;
  }
  throw new Error('expected a PermanentFailure');
}

/** Runs `run`, returning how long it took and how much the process grew meanwhile. */
export async function measured(
  run: () => Promise<unknown>,
): Promise<{ ms: number; rssGrowth: number; bufferGrowth: number }> {
  const before = process.memoryUsage();
  const started = performance.now();
  await run();
  const ms = performance.now() - started;
  const after = process.memoryUsage();
  return { ms, rssGrowth: after.rss - before.rss, bufferGrowth: after.arrayBuffers - before.arrayBuffers };
}
