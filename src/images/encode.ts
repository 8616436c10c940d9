import { encodeJpegWithLibjpegTurbo, loadLibjpegTurboEncoder } from './codecs/libjpeg-turbo-encoder';
import { encodeJpeg } from './codecs/mozjpeg';
import { encodePng } from './codecs/png';
import type { OutputFormat, RgbaBitmap } from './types';

/**
 * Encodes a thumbnail. JPEG and PNG codecs are part of every cold start's first image anyway; WebP and
 * AVIF encoders load on first use, so a deployment that does not write them never pays for them.
 * `quality` (1-100) applies to JPEG, WebP and AVIF; PNG is lossless.
 */
export async function encodeThumbnail(bitmap: RgbaBitmap, format: OutputFormat, quality: number): Promise<Buffer> {
  switch (format) {
    case 'jpeg':
      // libjpeg-turbo, fast; MozJPEG for thumbnails too small for it (cheap with any encoder).
      return (await encodeJpegWithLibjpegTurbo(bitmap, quality)) ?? encodeJpeg(bitmap, quality);
    case 'png':
      return encodePng(bitmap);
    case 'webp':
      return (await import('./encoders/webp')).encodeWebp(bitmap, quality);
    case 'avif':
      return (await import('./encoders/avif')).encodeAvif(bitmap, quality);
  }
}

/**
 * Compiles the encoder of large JPEG thumbnails ahead of the first one (a fresh render worker's start-up,
 * whose warm-up render is too small to use it).
 */
export async function loadLargeJpegEncoder(): Promise<void> {
  await loadLibjpegTurboEncoder();
}
