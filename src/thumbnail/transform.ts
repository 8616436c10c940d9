import { Jimp, JimpMime } from 'jimp';
import { DEFAULT_MAX_IMAGE_PIXELS } from '../config';
import { inspectImage, UnreadableImageError } from './inspect';
import type { OutputFormat } from './keys';
import { fitInside, type BoxSize, type Dimensions } from './sizes';

export interface RenderedThumbnail {
  readonly box: BoxSize;
  readonly width: number;
  readonly height: number;
  readonly format: OutputFormat;
  readonly contentType: string;
  readonly body: Buffer;
}

export interface RenderOptions {
  /** JPEG quality, 1-100. */
  readonly jpegQuality: number;
  /** Largest width x height decoded; larger images are rejected from their header. */
  readonly maxPixels?: number;
}

type JimpImage = Awaited<ReturnType<typeof Jimp.fromBuffer>>;

/**
 * JPEG stays JPEG (photos, no alpha channel to keep); every other format (PNG, GIF, BMP, TIFF) becomes
 * PNG, which is lossless and keeps transparency.
 */
export function outputFormatFor(sourceMime: string | undefined): OutputFormat {
  return sourceMime === JimpMime.jpeg ? 'jpeg' : 'png';
}

async function decode(source: Buffer, maxPixels: number): Promise<JimpImage> {
  const header = inspectImage(source, maxPixels);
  try {
    // Jimp recognises the format from the bytes, not the key's extension, and applies EXIF orientation.
    return await Jimp.fromBuffer(source);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UnreadableImageError('corrupt-image', `the ${header.format} data cannot be decoded: ${reason}`);
  }
}

async function resizeAndEncode(
  image: JimpImage,
  size: Dimensions,
  format: OutputFormat,
  options: RenderOptions,
): Promise<Buffer> {
  // jimp resizes in place, so each size works on its own copy of the decoded image.
  const resized = image.clone();
  if (size.width !== image.bitmap.width || size.height !== image.bitmap.height) {
    resized.resize({ w: size.width, h: size.height });
  }
  return format === 'jpeg'
    ? resized.getBuffer(JimpMime.jpeg, { quality: options.jpegQuality })
    : resized.getBuffer(JimpMime.png);
}

/** Decodes `source` once and renders one thumbnail per box, each fitted inside its box. */
export async function renderThumbnails(
  source: Buffer,
  boxes: readonly BoxSize[],
  options: RenderOptions,
): Promise<RenderedThumbnail[]> {
  const image = await decode(source, options.maxPixels ?? DEFAULT_MAX_IMAGE_PIXELS);
  const format = outputFormatFor(image.mime);
  const contentType = format === 'jpeg' ? JimpMime.jpeg : JimpMime.png;
  const original = { width: image.bitmap.width, height: image.bitmap.height };

  const thumbnails: RenderedThumbnail[] = [];
  for (const box of boxes) {
    const { width, height } = fitInside(original, box);
    const body = await resizeAndEncode(image, { width, height }, format, options);
    thumbnails.push({ box, width, height, format, contentType, body });
  }
  return thumbnails;
}
