import { shrinkByBoxFilter } from './box-filter';
import { checkBudget } from './budget';
import { encodeThumbnail } from './encode';
import { detectFormat } from './formats/registry';
import { CONTENT_TYPES } from './output-formats';
import { applyOrientation, displayedSize, isSideways } from './orientation';
import { shrinkByArea } from './resample';
import type { DecodeBudget, OutputFormat, OutputFormatSetting, RgbaBitmap, SourceFormat } from './types';
import { fitInside, type BoundingBox, type Dimensions } from '../thumbnail/sizes';

export { loadLargeJpegEncoder } from './encode';

export interface RenderedThumbnail {
  readonly box: BoundingBox;
  readonly width: number;
  readonly height: number;
  readonly format: OutputFormat;
  /** The format the source was recognised as (the same for every thumbnail of one source). */
  readonly sourceFormat: SourceFormat;
  readonly contentType: string;
  readonly body: Buffer;
}

export interface RenderOptions {
  /** Output encoding; `auto` is JPEG for opaque images and PNG where there is transparency. */
  readonly outputFormat: OutputFormatSetting;
  /** 1-100, for JPEG, WebP and AVIF. */
  readonly quality: number;
  readonly budget: DecodeBudget;
}

/** True if any pixel is less than fully opaque. */
function hasTransparency(bitmap: RgbaBitmap): boolean {
  const { data } = bitmap;
  for (let i = 3; i < data.length; i += 4) if (data[i] !== 255) return true;
  return false;
}

/**
 * Shrinks `image` to `target` (upright size): first by the largest whole factor with a box filter (cheap,
 * and the exact area average), then by the remaining factor, below 2, by area averaging, then turns it
 * upright (cheap now that it is small).
 */
function shrink(image: RgbaBitmap, target: Dimensions, orientation: number): RgbaBitmap {
  const stored = isSideways(orientation) ? { width: target.height, height: target.width } : target;
  const factor = Math.floor(Math.min(image.width / stored.width, image.height / stored.height));
  const reduced = factor >= 2 ? shrinkByBoxFilter(image, factor) : image;
  return applyOrientation(shrinkByArea(reduced, stored), orientation);
}

/**
 * The smallest stored size the largest thumbnail can be made from, each side rounded up: what a decoder
 * that reduces while decoding must leave. The orientation is not known before decoding, so both ways
 * round are allowed for.
 */
function largestNeeded(stored: Dimensions, boxes: readonly BoundingBox[]): Dimensions {
  const sideways = { width: stored.height, height: stored.width };
  let scale = 0;
  for (const box of boxes) {
    for (const upright of [stored, sideways]) {
      scale = Math.max(scale, Math.min(box.width / upright.width, box.height / upright.height, 1));
    }
  }
  return { width: Math.ceil(stored.width * scale), height: Math.ceil(stored.height * scale) };
}

/**
 * Decodes `source` once and renders one thumbnail per bounding box, each fitted inside its box:
 * recognise the format by content, read what it declares, hold that against the budget, decode the first
 * image (reduced while decoding where the format allows and the largest size needs no more), then shrink,
 * make sRGB and encode. Sizes are made largest first, each from the one before (a
 * cascade), so the full-size image is shrunk only once; colour is converted on the largest thumbnail,
 * not on the full-size image.
 */
export async function renderThumbnails(
  source: Buffer,
  boxes: readonly BoundingBox[],
  options: RenderOptions,
): Promise<RenderedThumbnail[]> {
  const format = detectFormat(source);
  const declared = format.inspect(source, options.budget);
  checkBudget(declared, options.budget);
  const decoded = await format.decode(source, declared, { atLeast: largestNeeded(declared, boxes) });
  const upright = displayedSize(decoded.fullSize ?? decoded.bitmap, decoded.orientation);

  const planned = boxes.map((box) => ({ box, ...fitInside(upright, box) }));
  const largestFirst = [...planned].sort((a, b) => b.width * b.height - a.width * a.height);
  const bodies = new Map<string, Buffer>();
  let current = decoded.bitmap;
  let orientation = decoded.orientation;
  let output: OutputFormat | undefined;
  for (const { width, height } of largestFirst) {
    const size = `${width}x${height}`;
    if (bodies.has(size)) continue;
    current = shrink(current, { width, height }, orientation);
    orientation = 1;
    if (!output) {
      if (decoded.iccProfile) current = await (await import('./colour')).convertToSrgb(current, decoded.iccProfile);
      output =
        options.outputFormat !== 'auto'
          ? options.outputFormat
          : decoded.hasAlpha && hasTransparency(current)
            ? 'png'
            : 'jpeg';
    }
    bodies.set(size, await encodeThumbnail(current, output, options.quality));
  }
  return planned.map(({ box, width, height }) => ({
    box,
    width,
    height,
    format: output!,
    sourceFormat: format.name,
    contentType: CONTENT_TYPES[output!],
    body: bodies.get(`${width}x${height}`)!,
  }));
}
