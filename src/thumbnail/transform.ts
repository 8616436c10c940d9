import { Jimp, JimpMime } from 'jimp';
import { DEFAULT_MAX_IMAGE_PIXELS } from '../config';
import { shrinkByBoxFilter } from '../images/box-filter';
import { decodeJpeg, encodeJpeg, JpegDecodeError } from '../images/codecs/mozjpeg';
import { UnreadableImageError } from '../errors';
import { inspectImage, type ImageHeader } from './inspect';
import type { OutputFormat } from './keys';
import { applyOrientation, displayedSize, isSideways } from '../images/orientation';
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

type JimpImage = InstanceType<typeof Jimp>;

interface DecodedImage {
  /** Pixels as stored in the file. */
  readonly image: JimpImage;
  /** EXIF orientation still to apply (1: already upright). */
  readonly orientation: number;
}

/**
 * JPEG stays JPEG (photos, no alpha channel to keep); every other format (PNG, GIF, BMP, TIFF) becomes
 * PNG, which is lossless and keeps transparency.
 */
function outputFormatFor(header: Pick<ImageHeader, 'format'>): OutputFormat {
  return header.format === 'jpg' ? 'jpeg' : 'png';
}

/**
 * JPEG goes through the MozJPEG WebAssembly codec and keeps its EXIF orientation for later. Everything
 * else, and the rare JPEG MozJPEG cannot convert to RGB (CMYK), goes through jimp's own decoders, which
 * apply the orientation themselves.
 */
async function decode(source: Buffer, header: ImageHeader): Promise<DecodedImage> {
  let jpegError: JpegDecodeError | undefined;
  if (header.format === 'jpg') {
    try {
      return { image: new Jimp(await decodeJpeg(source)) as JimpImage, orientation: header.orientation };
    } catch (error) {
      // Anything but a verdict on the data (e.g. the codec failed to load) is not the image's fault.
      if (!(error instanceof JpegDecodeError)) throw error;
      if (error.truncated) {
        throw new UnreadableImageError('corrupt-image', `the jpg data cannot be decoded: ${error.message}`);
      }
      jpegError = error;
    }
  }
  try {
    return { image: (await Jimp.fromBuffer(source)) as unknown as JimpImage, orientation: 1 };
  } catch (error) {
    const reason = jpegError?.message ?? (error instanceof Error ? error.message : String(error));
    throw new UnreadableImageError('corrupt-image', `the ${header.format} data cannot be decoded: ${reason}`);
  }
}

/**
 * Shrinks `image` to `target` (upright size), in place when it can: first by the largest whole factor
 * with a box filter (cheap, and the exact area average), then turns it upright (cheap now that it is
 * small), then resamples the remaining factor, below 2, with jimp's resize.
 */
function shrink(image: JimpImage, target: Dimensions, orientation: number): JimpImage {
  const stored = isSideways(orientation) ? { width: target.height, height: target.width } : target;
  const factor = Math.floor(Math.min(image.bitmap.width / stored.width, image.bitmap.height / stored.height));
  const result = factor >= 2 ? (new Jimp(shrinkByBoxFilter(image.bitmap, factor)) as JimpImage) : image;
  applyOrientation(result, orientation);
  if (result.bitmap.width !== target.width || result.bitmap.height !== target.height) {
    result.resize({ w: target.width, h: target.height });
  }
  return result;
}

async function encode(image: JimpImage, format: OutputFormat, options: RenderOptions): Promise<Buffer> {
  return format === 'jpeg' ? encodeJpeg(image.bitmap, options.jpegQuality) : image.getBuffer(JimpMime.png);
}

/**
 * Decodes `source` once and renders one thumbnail per box, each fitted inside its box. Sizes are made
 * largest first, each from the one before (a cascade), so the full-size image is shrunk only once and
 * is never copied.
 */
export async function renderThumbnails(
  source: Buffer,
  boxes: readonly BoxSize[],
  options: RenderOptions,
): Promise<RenderedThumbnail[]> {
  const header = inspectImage(source, options.maxPixels ?? DEFAULT_MAX_IMAGE_PIXELS);
  const decoded = await decode(source, header);
  const format = outputFormatFor(header);
  const contentType = format === 'jpeg' ? JimpMime.jpeg : JimpMime.png;
  const upright = displayedSize(
    { width: decoded.image.bitmap.width, height: decoded.image.bitmap.height },
    decoded.orientation,
  );

  const planned = boxes.map((box) => ({ box, ...fitInside(upright, box) }));
  const largestFirst = [...planned].sort((a, b) => b.width * b.height - a.width * a.height);
  const bodies = new Map<string, Buffer>();
  let current = decoded.image;
  let orientation = decoded.orientation;
  for (const { width, height } of largestFirst) {
    const size = `${width}x${height}`;
    if (bodies.has(size)) continue;
    current = shrink(current, { width, height }, orientation);
    orientation = 1;
    bodies.set(size, await encode(current, format, options));
  }
  return planned.map(({ box, width, height }) => ({
    box,
    width,
    height,
    format,
    contentType,
    body: bodies.get(`${width}x${height}`)!,
  }));
}
