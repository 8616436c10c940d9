import { fitInside, type BoundingBox, type Dimensions } from '../thumbnail/sizes';

/**
 * When to take `count` frames of a video of `durationSeconds`: the middle of each of `count` equal
 * intervals, so that the first is not the very first frame (often black, or a fade-in) and the last is
 * not the end (often a fade-out or black), and each tile of the storyboard shows the middle of the time
 * range it stands for. Milliseconds, rounded; never after the start of the last frame.
 */
export function planFrameTimes(durationSeconds: number, count: number, framesPerSecond?: number): number[] {
  const durationMs = durationSeconds * 1000;
  // A time after the last frame starts has no frame to show (ffmpeg seeks to the first frame at or after it).
  const lastFrameMs = framesPerSecond ? Math.floor(durationMs - 1000 / framesPerSecond) : durationMs;
  return Array.from({ length: count }, (_, index) =>
    Math.max(0, Math.min(lastFrameMs, Math.round(((index + 0.5) * durationMs) / count))),
  );
}

export interface SpriteLayout {
  readonly columns: number;
  readonly rows: number;
  /** Every tile has this size: the displayed frame fitted inside the tile box. */
  readonly tile: Dimensions;
  readonly width: number;
  readonly height: number;
}

/** Tiles in a near-square grid, row by row: 16 frames make 4x4, 10 make 4x3. */
export function planSprite(frames: number, displayed: Dimensions, tileBox: BoundingBox): SpriteLayout {
  const columns = Math.ceil(Math.sqrt(frames));
  const rows = Math.ceil(frames / columns);
  const tile = fitInside(displayed, tileBox);
  return { columns, rows, tile, width: columns * tile.width, height: rows * tile.height };
}

/** Where tile `index` sits in the sprite. */
export function tilePosition(layout: SpriteLayout, index: number): { x: number; y: number } {
  return {
    x: (index % layout.columns) * layout.tile.width,
    y: Math.floor(index / layout.columns) * layout.tile.height,
  };
}

/** WebVTT's timestamp: hh:mm:ss.ttt. */
export function vttTimestamp(ms: number): string {
  const whole = Math.max(0, Math.round(ms));
  const hours = Math.floor(whole / 3_600_000);
  const minutes = Math.floor(whole / 60_000) % 60;
  const seconds = Math.floor(whole / 1000) % 60;
  const pad = (value: number, width: number) => String(value).padStart(width, '0');
  return `${pad(hours, 2)}:${pad(minutes, 2)}:${pad(seconds, 2)}.${pad(whole % 1000, 3)}`;
}

/**
 * The storyboard's WebVTT: one cue per tile, from the start of its interval to the next one's, pointing
 * at the tile in the sprite with a media fragment (`#xywh=x,y,w,h`), the form video players read for
 * seek previews. `spriteName` is relative to the VTT file, so the pair can be served from anywhere.
 */
export function storyboardVtt(
  durationSeconds: number,
  layout: SpriteLayout,
  frames: number,
  spriteName: string,
): string {
  const durationMs = durationSeconds * 1000;
  const cues = Array.from({ length: frames }, (_, index) => {
    const start = vttTimestamp((index * durationMs) / frames);
    const end = vttTimestamp(((index + 1) * durationMs) / frames);
    const { x, y } = tilePosition(layout, index);
    return `${start} --> ${end}\n${spriteName}#xywh=${x},${y},${layout.tile.width},${layout.tile.height}\n`;
  });
  return ['WEBVTT', '', ...cues].join('\n');
}
