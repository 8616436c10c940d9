/** A bounding box a thumbnail must fit inside, as configured (e.g. `125x125`). */
export interface BoundingBox {
  readonly width: number;
  readonly height: number;
  /** `WIDTHxHEIGHT`, used in output keys so they do not depend on the source image. */
  readonly label: string;
}

export interface Dimensions {
  readonly width: number;
  readonly height: number;
}

/** Largest box side accepted; far beyond any thumbnail, and keeps a typo from allocating gigabytes. */
export const MAX_BOX_SIDE = 10_000;

/** Parses `75x75,125x125,1280x720` into boxes, rejecting anything ambiguous with a message saying why. */
export function parseBoundingBoxes(spec: string): BoundingBox[] {
  const parts = spec
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
  if (parts.length === 0) {
    throw new Error(`expected at least one WIDTHxHEIGHT size, got "${spec}"`);
  }
  const boxes = parts.map((part) => {
    const match = /^(\d+)x(\d+)$/i.exec(part);
    if (!match) throw new Error(`"${part}" is not of the form WIDTHxHEIGHT (e.g. 125x125)`);
    const width = Number(match[1]);
    const height = Number(match[2]);
    for (const side of [width, height]) {
      if (side < 1 || side > MAX_BOX_SIDE) {
        throw new Error(`"${part}": each side must be between 1 and ${MAX_BOX_SIDE}`);
      }
    }
    return { width, height, label: `${width}x${height}` };
  });
  const labels = new Set<string>();
  for (const box of boxes) {
    if (labels.has(box.label)) throw new Error(`size ${box.label} is listed twice`);
    labels.add(box.label);
  }
  return boxes;
}

/**
 * The size of `source` scaled to fit inside `box` with its aspect ratio kept. Never upscales: an image
 * already inside the box keeps its size.
 */
export function fitInside(source: Dimensions, box: BoundingBox): Dimensions {
  const scale = Math.min(box.width / source.width, box.height / source.height, 1);
  return {
    width: Math.min(box.width, Math.max(1, Math.round(source.width * scale))),
    height: Math.min(box.height, Math.max(1, Math.round(source.height * scale))),
  };
}
