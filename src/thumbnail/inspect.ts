import { imageSize } from 'image-size';
import { ImageTooLargeError, UnreadableImageError } from '../errors';

/** Formats jimp decodes, as image-size names them. */
const DECODABLE = new Set(['jpg', 'png', 'gif', 'bmp', 'tiff']);

export interface ImageHeader {
  readonly format: string;
  /** As stored; EXIF orientations 5-8 display it with width and height swapped. */
  readonly width: number;
  readonly height: number;
  /** EXIF orientation (JPEG only), 1 when absent. */
  readonly orientation: number;
}

/**
 * Reads the format and dimensions from the image header, without decoding it, and rejects what cannot
 * or must not be decoded. The pixel limit stops decompression bombs: a few kilobytes can declare
 * 100,000 x 100,000 pixels, which would need 40 GB once decoded.
 */
export function inspectImage(source: Buffer, maxPixels: number): ImageHeader {
  if (source.length === 0) throw new UnreadableImageError('empty-object', 'the object is empty (0 bytes)');
  let header;
  try {
    header = imageSize(source);
  } catch {
    throw new UnreadableImageError('unsupported-format', 'not an image in a known format (JPEG, PNG, GIF, BMP, TIFF)');
  }
  const format = header.type ?? 'unknown';
  if (!DECODABLE.has(format)) {
    throw new UnreadableImageError(
      'unsupported-format',
      `${format.toUpperCase()} images are not supported (supported: JPEG, PNG, GIF, BMP, TIFF)`,
    );
  }
  const { width, height } = header;
  if (!width || !height) throw new UnreadableImageError('corrupt-image', `the ${format} header declares no size`);
  if (width * height > maxPixels) {
    throw new ImageTooLargeError(
      'too-many-pixels',
      `${width}x${height} is ${(width * height).toLocaleString('en')} pixels, over the limit of ${maxPixels.toLocaleString('en')} (MAX_IMAGE_PIXELS)`,
    );
  }
  return { format, width, height, orientation: header.orientation ?? 1 };
}
