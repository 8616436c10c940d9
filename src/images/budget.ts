import { ImageTooLargeError } from '../errors';
import type { DeclaredImage, DecodeBudget } from './types';

const count = (value: number): string => value.toLocaleString('en');

/**
 * Bytes a decode of `declared` needs at its peak: the 8-bit RGBA result, plus the decoder's working
 * memory (by default the samples as stored, so bit depth and channels count).
 */
export function estimateDecodeBytes(declared: DeclaredImage): number {
  const pixels = declared.width * declared.height;
  const working = declared.workingBytes ?? (pixels * declared.channels * declared.bitsPerSample) / 8;
  return pixels * 4 + Math.ceil(working);
}

/**
 * Holds what a file declares against the budget, before any pixel is decoded: a few bytes of header can
 * declare 100,000 x 100,000 pixels (40 GB once decoded), and a 16-bit image needs twice the memory of
 * an 8-bit one of the same size.
 */
export function checkBudget(declared: DeclaredImage, budget: DecodeBudget): void {
  const { width, height, format } = declared;
  const pixels = width * height;
  if (pixels > budget.maxPixels) {
    throw new ImageTooLargeError(
      'too-many-pixels',
      `the ${format} image is ${width}x${height}, ${count(pixels)} pixels, over the limit of ${count(budget.maxPixels)} (MAX_IMAGE_PIXELS)`,
    );
  }
  const bytes = estimateDecodeBytes(declared);
  if (bytes > budget.maxBytes) {
    const depth = `${declared.channels} x ${declared.bitsPerSample}-bit samples`;
    throw new ImageTooLargeError(
      'over-memory-budget',
      `decoding the ${width}x${height} ${format} image (${depth}) needs about ${count(Math.round(bytes / 2 ** 20))} MiB, over the decode budget of ${count(Math.round(budget.maxBytes / 2 ** 20))} MiB (MAX_DECODE_BYTES)`,
    );
  }
}
