import { PermanentFailure } from '../errors';
import { EXTENSIONS } from '../images/output-formats';
import type { OutputFormat } from '../images/types';
import type { BoundingBox } from './sizes';

/** S3's limit on a key's length, in UTF-8 bytes. */
const MAX_KEY_BYTES = 1024;
/** S3's limit on an object's user metadata: the UTF-8 bytes of every name and value, summed. */
export const MAX_METADATA_BYTES = 2048;

/**
 * Where the thumbnail of `sourceKey` for `box` is stored: `<source key>/<WIDTHxHEIGHT>.<jpg|png|webp|avif>`.
 *
 * The whole source key is kept, so `a/cat.jpg` and `b/cat.jpg` (or `cat.jpg` and `cat.png`) never share
 * a thumbnail, and reprocessing an object overwrites exactly its own thumbnails. The box, not the
 * computed output size, names the file, so the key is known without decoding the image.
 */
export function thumbnailKey(sourceKey: string, box: BoundingBox, format: OutputFormat): string {
  const key = `${sourceKey}/${box.label}.${EXTENSIONS[format]}`;
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) {
    throw new PermanentFailure(
      'key-too-long',
      `thumbnail key for "${sourceKey}" would exceed S3's ${MAX_KEY_BYTES}-byte key limit`,
    );
  }
  return key;
}

/**
 * The user metadata every thumbnail of the source carries. Metadata travels in HTTP headers, which only
 * carry ASCII, so the key is URL-encoded: a non-ASCII character takes up to 12 bytes there (a CJK one 9).
 */
export function thumbnailMetadata(sourceBucket: string, sourceKey: string): Record<string, string> {
  const metadata = { 'source-bucket': sourceBucket, 'source-key': encodeURIComponent(sourceKey) };
  const bytes = Object.entries(metadata).reduce(
    (sum, [name, value]) => sum + Buffer.byteLength(name, 'utf8') + Buffer.byteLength(value, 'utf8'),
    0,
  );
  if (bytes > MAX_METADATA_BYTES) {
    throw new PermanentFailure(
      'metadata-too-large',
      `the thumbnails' metadata for "${sourceKey}" (its URL-encoded key) would be ${bytes} bytes, over S3's ${MAX_METADATA_BYTES}-byte limit`,
    );
  }
  return metadata;
}

/**
 * Checks, before anything is read or decoded, that every thumbnail of `sourceKey` can be stored: each
 * key in either output format within S3's key limit, and the metadata within S3's metadata limit.
 * Throws the PermanentFailure S3 would otherwise cause after the first sizes were written.
 */
export function checkThumbnailsStorable(sourceBucket: string, sourceKey: string, boxes: readonly BoundingBox[]): void {
  for (const box of boxes) {
    for (const format of Object.keys(EXTENSIONS) as OutputFormat[]) thumbnailKey(sourceKey, box, format);
  }
  thumbnailMetadata(sourceBucket, sourceKey);
}
