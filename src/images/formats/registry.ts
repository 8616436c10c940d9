import { UnreadableImageError } from '../../errors';
import type { ImageFormat } from '../types';
import { avifFormat } from './avif';
import { bmpFormat } from './bmp';
import { gifFormat } from './gif';
import { heicFormat } from './heic';
import { jpegFormat } from './jpeg';
import { pngFormat } from './png';
import { tiffFormat } from './tiff';
import { webpFormat } from './webp';

/**
 * Every format the decode layer reads, tried in this order by signature. Format modules load their
 * codecs lazily, so listing one here costs nothing until a file of that format arrives.
 */
export const FORMATS: readonly ImageFormat[] = [
  jpegFormat,
  pngFormat,
  webpFormat,
  // Both are HEIF containers: each sniffs the brands and the primary item's codec, so exactly one claims a file.
  avifFormat,
  heicFormat,
  gifFormat,
  bmpFormat,
  tiffFormat,
];

export const SUPPORTED_FORMATS = FORMATS.map((format) => format.name.toUpperCase()).join(', ');

/** The format of `bytes`, recognised by content alone: names and Content-Types are not trusted. */
export function detectFormat(bytes: Buffer): ImageFormat {
  if (bytes.length === 0) throw new UnreadableImageError('empty-object', 'the object is empty (0 bytes)');
  const format = FORMATS.find((candidate) => candidate.sniff(bytes));
  if (!format) {
    throw new UnreadableImageError('unsupported-format', `not an image in a supported format (${SUPPORTED_FORMATS})`);
  }
  return format;
}
