/**
 * The three ways of turning one source image into its thumbnails that the benchmark compares. Each does
 * the whole job (decode, every size, encode) and returns the encoded thumbnails. Libraries are imported
 * on demand, so a child process measuring one contender's memory loads only that contender's library.
 */
import type { BoundingBox, Dimensions } from '../../src/thumbnail/sizes';
import { fitInside } from '../../src/thumbnail/sizes';
import { DEFAULT_MAX_IMAGE_PIXELS, DEFAULT_THUMBNAIL_QUALITY, loadThumbnailConfig } from '../../src/config';
import type { InputFormat } from './inputs';
import type { RenderOptions } from '../../src/images/render';

export const CONTENDER_NAMES = ['naive-jimp', 'pipeline', 'sharp'] as const;
export type ContenderName = (typeof CONTENDER_NAMES)[number];

/**
 * The input formats each contender reads. On an input of any other format a contender is not applicable:
 * not run, shown as n/a. jimp has no WebP, AVIF or HEIC decoder; sharp's prebuilt libvips has libheif
 * with an AV1 decoder only, so it reads AVIF but not HEIC (HEVC).
 */
export const READS: Record<ContenderName, readonly InputFormat[]> = {
  'naive-jimp': ['jpeg', 'png'],
  pipeline: ['jpeg', 'png', 'webp', 'avif', 'heic'],
  sharp: ['jpeg', 'png', 'webp', 'avif'],
};

export const JPEG_QUALITY = DEFAULT_THUMBNAIL_QUALITY;

export interface Thumbnail extends Dimensions {
  readonly label: string;
  readonly body: Buffer;
}

export type Contender = (source: Buffer, boxes: readonly BoundingBox[]) => Promise<Thumbnail[]>;

/** The obvious jimp code: decode the source again for every size, resize, encode. */
async function naiveJimp(): Promise<Contender> {
  const { Jimp, JimpMime } = await import('jimp');
  return async (source, boxes) => {
    const thumbnails: Thumbnail[] = [];
    for (const box of boxes) {
      const image = await Jimp.fromBuffer(source);
      const { width, height } = fitInside({ width: image.bitmap.width, height: image.bitmap.height }, box);
      if (width !== image.bitmap.width || height !== image.bitmap.height) image.resize({ w: width, h: height });
      const body =
        image.mime === JimpMime.jpeg
          ? await image.getBuffer(JimpMime.jpeg, { quality: JPEG_QUALITY })
          : await image.getBuffer(JimpMime.png);
      thumbnails.push({ label: box.label, width, height, body });
    }
    return thumbnails;
  };
}

/** The environment the thumbnail function's configuration needs, with placeholder names. */
export const PIPELINE_ENVIRONMENT = {
  THUMBNAILS_BUCKET: 'bench',
  IMAGES_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/bench-images',
  DEAD_LETTER_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/bench-dead-letters',
};

/** The deployed defaults: output format, quality and the decode budget of a 1024 MB function. */
export function pipelineOptions(): RenderOptions {
  const settings = loadThumbnailConfig(PIPELINE_ENVIRONMENT);
  return {
    outputFormat: settings.outputFormat,
    quality: settings.quality,
    budget: { maxPixels: DEFAULT_MAX_IMAGE_PIXELS, maxBytes: settings.maxDecodeBytes },
  };
}

/** The project's own transform, exactly as the Lambda calls it. */
async function pipeline(): Promise<Contender> {
  const { renderThumbnails } = await import('../../src/images/render');
  const options = pipelineOptions();
  return async (source, boxes) => {
    const rendered = await renderThumbnails(source, boxes, options);
    return rendered.map(({ box, width, height, body }) => ({ label: box.label, width, height, body }));
  };
}

/**
 * libvips through sharp, as a reference: decode once (EXIF-oriented) into raw pixels, then resize those to
 * exactly the dimensions fitInside plans and encode like the pipeline does (PNG with alpha, else JPEG q80).
 * sharp's operation cache is off so that repeated runs on the same bytes cannot be served from it.
 */
async function sharpReference(): Promise<Contender> {
  const { default: sharp } = await import('sharp');
  sharp.cache(false);
  return async (source, boxes) => {
    const { hasAlpha } = await sharp(source).metadata();
    const { data, info } = await sharp(source).rotate().raw().toBuffer({ resolveWithObject: true });
    const raw = { width: info.width, height: info.height, channels: info.channels };
    const thumbnails: Thumbnail[] = [];
    for (const box of boxes) {
      const { width, height } = fitInside(raw, box);
      const resized = sharp(data, { raw }).resize(width, height, { fit: 'fill' });
      const body =
        // As the pipeline's `auto` output: JPEG unless the image has an alpha channel.
        hasAlpha ? await resized.png().toBuffer() : await resized.jpeg({ quality: JPEG_QUALITY }).toBuffer();
      thumbnails.push({ label: box.label, width, height, body });
    }
    return thumbnails;
  };
}

export async function loadContender(name: ContenderName): Promise<Contender> {
  switch (name) {
    case 'naive-jimp':
      return naiveJimp();
    case 'pipeline':
      return pipeline();
    case 'sharp':
      return sharpReference();
  }
}
