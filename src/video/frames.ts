import type { RgbaBitmap } from '../images/types';
import type { SpriteLayout } from './plan';
import { tilePosition } from './plan';

/** How a frame looks overall, from its pixels: enough to tell a black or faded frame from a picture. */
export interface FrameStats {
  /** Mean luma (Rec. 601), 0-255. */
  readonly meanLuma: number;
  /** Standard deviation of luma: near 0 for a flat frame (black, white, one colour). */
  readonly lumaSpread: number;
}

export function frameStats({ data, width, height }: RgbaBitmap): FrameStats {
  const pixels = width * height;
  let sum = 0;
  let sumOfSquares = 0;
  for (let i = 0; i < pixels * 4; i += 4) {
    const luma = 0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!;
    sum += luma;
    sumOfSquares += luma * luma;
  }
  const meanLuma = sum / pixels;
  return { meanLuma, lumaSpread: Math.sqrt(Math.max(0, sumOfSquares / pixels - meanLuma * meanLuma)) };
}

/** Below this mean luma a frame reads as black; above the upper one as washed out (a fade to white). */
const DARK_LUMA = 24;
const BRIGHT_LUMA = 235;
/** Below this spread a frame is flat: one colour, a title card's background, a fade's midpoint. */
const FLAT_SPREAD = 12;

/** Whether a frame shows a picture worth a poster: neither black, nor washed out, nor flat. */
export function looksLikePicture(stats: FrameStats): boolean {
  return stats.meanLuma >= DARK_LUMA && stats.meanLuma <= BRIGHT_LUMA && stats.lumaSpread >= FLAT_SPREAD;
}

/**
 * Picks the poster among frames offered in time order: the first that looks like a picture, so that a
 * black or faded opening is passed over; if none does, the one with the most contrast. Holds one frame
 * besides the chosen one at most.
 */
export function posterChooser<T>(): { offer(stats: FrameStats, frame: T): void; chosen(): T | undefined } {
  let picture: T | undefined;
  let fallback: { frame: T; spread: number } | undefined;
  return {
    offer(stats, frame) {
      if (picture !== undefined) return;
      if (looksLikePicture(stats)) {
        picture = frame;
        fallback = undefined;
      } else if (!fallback || stats.lumaSpread > fallback.spread) {
        fallback = { frame, spread: stats.lumaSpread };
      }
    },
    chosen: () => picture ?? fallback?.frame,
  };
}

/** An opaque black sprite of the layout's size, for the tiles to be drawn into. */
export function emptySprite(layout: SpriteLayout): RgbaBitmap {
  const data = Buffer.alloc(layout.width * layout.height * 4);
  for (let i = 3; i < data.length; i += 4) data[i] = 255;
  return { data, width: layout.width, height: layout.height };
}

/** Copies `tile` into its cell of the sprite; a tile larger than the cell (rounding) is cropped to it. */
export function drawTile(sprite: RgbaBitmap, layout: SpriteLayout, index: number, tile: RgbaBitmap): void {
  const { x, y } = tilePosition(layout, index);
  const width = Math.min(tile.width, layout.tile.width);
  const height = Math.min(tile.height, layout.tile.height);
  for (let row = 0; row < height; row += 1) {
    const from = row * tile.width * 4;
    tile.data.copy(sprite.data, ((y + row) * sprite.width + x) * 4, from, from + width * 4);
  }
}
