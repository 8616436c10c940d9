import { PermanentFailure } from '../errors';
import type { BoxSize } from './sizes';

export type OutputFormat = 'jpeg' | 'png';

const EXTENSIONS: Record<OutputFormat, string> = { jpeg: 'jpg', png: 'png' };

/** S3's limit on a key's length, in UTF-8 bytes. */
const MAX_KEY_BYTES = 1024;

/**
 * Where the thumbnail of `sourceKey` for `box` is stored: `<source key>/<WIDTHxHEIGHT>.<jpg|png>`.
 *
 * The whole source key is kept, so `a/cat.jpg` and `b/cat.jpg` (or `cat.jpg` and `cat.png`) never share
 * a thumbnail, and reprocessing an object overwrites exactly its own thumbnails. The box, not the
 * computed output size, names the file, so the key is known without decoding the image.
 */
export function thumbnailKey(sourceKey: string, box: BoxSize, format: OutputFormat): string {
  const key = `${sourceKey}/${box.label}.${EXTENSIONS[format]}`;
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) {
    throw new PermanentFailure(
      'key-too-long',
      `thumbnail key for "${sourceKey}" would exceed S3's ${MAX_KEY_BYTES}-byte key limit`,
    );
  }
  return key;
}
