/**
 * Checks on the thumbnails of one input: every contender's thumbnails have exactly the dimensions
 * fitInside plans (read from the encoded bytes, not from what the contender says), and each jimp
 * contender's pixels are close to sharp's: mean absolute difference per channel (0-255), over RGB for
 * JPEG and RGBA for PNG. Both sides are decoded by the same decoder (sharp), so decoders do not differ.
 * Where sharp cannot read the input, the caller passes `reference`: sharp's thumbnails of the lossless
 * image the input was encoded from, which then stand in for sharp's.
 */
import sharp from 'sharp';
import { fitInside, type BoundingBox, type Dimensions } from '../../src/thumbnail/sizes';
import type { ContenderName, Thumbnail } from './contenders';

/**
 * The largest MAD still taken for the same picture. Faithful thumbnails score 2-3 against sharp's (JPEG
 * at quality 80 on both sides); a decoder that swaps channels, misreads the colour matrix or range, or
 * shifts the picture scores tens.
 */
export const MAX_PLAUSIBLE_MAD = 8;

export interface SizeQuality {
  readonly label: string;
  readonly expected: Dimensions;
  /** Mean absolute difference from sharp's thumbnail, per contender (not for sharp itself). */
  readonly madVsSharp: Partial<Record<ContenderName, number>>;
}

export interface QualityReport {
  readonly sizes: SizeQuality[];
  /** The largest difference over the sizes, per contender. */
  readonly maxMadVsSharp: Partial<Record<ContenderName, number>>;
  /** One line per thumbnail whose dimensions are not the planned ones or whose MAD is implausible. */
  readonly failures: string[];
}

interface Decoded extends Dimensions {
  readonly data: Buffer;
}

async function decodeRgba(body: Buffer): Promise<Decoded> {
  const { data, info } = await sharp(body).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

export function meanAbsoluteDifference(a: Buffer, b: Buffer, channels: 3 | 4): number {
  let sum = 0;
  for (let i = 0; i < a.length; i += 4) {
    for (let c = 0; c < channels; c++) sum += Math.abs(a[i + c]! - b[i + c]!);
  }
  return sum / ((a.length / 4) * channels);
}

/** The source's displayed dimensions (after EXIF orientation) and whether it has an alpha channel. */
export async function describeSource(source: Buffer): Promise<Dimensions & { hasAlpha: boolean }> {
  const metadata = await sharp(source).metadata();
  return { ...metadata.autoOrient, hasAlpha: metadata.hasAlpha };
}

export async function checkQuality(
  original: Dimensions & { hasAlpha: boolean },
  boxes: readonly BoundingBox[],
  outputs: Partial<Record<ContenderName, Thumbnail[]>>,
  reference?: Thumbnail[],
): Promise<QualityReport> {
  const channels = original.hasAlpha ? 4 : 3;
  const failures: string[] = [];
  const sizes: SizeQuality[] = [];
  for (const box of boxes) {
    const expected = fitInside(original, box);
    const decoded: Partial<Record<ContenderName, Decoded>> = {};
    const candidates = Object.entries(reference ? { ...outputs, sharp: reference } : outputs);
    for (const [name, thumbnails] of candidates as [ContenderName, Thumbnail[]][]) {
      const thumbnail = thumbnails.find((t) => t.label === box.label);
      if (!thumbnail) {
        failures.push(`${name} ${box.label}: no thumbnail`);
        continue;
      }
      const image = await decodeRgba(thumbnail.body);
      if (image.width !== expected.width || image.height !== expected.height) {
        failures.push(
          `${name} ${box.label}: ${image.width}x${image.height}, expected ${expected.width}x${expected.height}`,
        );
        continue;
      }
      decoded[name] = image;
    }
    const madVsSharp: Partial<Record<ContenderName, number>> = {};
    for (const [name, image] of Object.entries(decoded) as [ContenderName, Decoded][]) {
      if (name !== 'sharp' && decoded.sharp) {
        const mad = meanAbsoluteDifference(image.data, decoded.sharp.data, channels);
        madVsSharp[name] = mad;
        if (mad > MAX_PLAUSIBLE_MAD) {
          failures.push(`${name} ${box.label}: MAD ${mad.toFixed(2)} from sharp's, above ${MAX_PLAUSIBLE_MAD}`);
        }
      }
    }
    sizes.push({ label: box.label, expected, madVsSharp });
  }
  const maxMadVsSharp: Partial<Record<ContenderName, number>> = {};
  for (const size of sizes) {
    for (const [name, mad] of Object.entries(size.madVsSharp) as [ContenderName, number][]) {
      maxMadVsSharp[name] = Math.max(maxMadVsSharp[name] ?? 0, mad);
    }
  }
  return { sizes, maxMadVsSharp, failures };
}
