import type { Dimensions } from '../thumbnail/sizes';

/** The part of a jimp image that turns it upright. */
interface Orientable {
  rotate(degrees: number): unknown;
  flip(options: { horizontal: boolean; vertical: boolean }): unknown;
}

/** EXIF orientations 5 to 8 store the image on its side: width and height swap when displayed. */
export function isSideways(orientation: number): boolean {
  return orientation >= 5 && orientation <= 8;
}

export function displayedSize(stored: Dimensions, orientation: number): Dimensions {
  return isSideways(orientation) ? { width: stored.height, height: stored.width } : stored;
}

/**
 * Turns an image stored with EXIF `orientation` (1-8) upright, in place. jimp's rotate() turns
 * counter-clockwise, so "rotate 90° clockwise" is rotate(-90).
 */
export function applyOrientation(image: Orientable, orientation: number): void {
  switch (orientation) {
    case 2:
      image.flip({ horizontal: true, vertical: false });
      break;
    case 3:
      image.rotate(180);
      break;
    case 4:
      image.flip({ horizontal: false, vertical: true });
      break;
    case 5: // transpose
      image.rotate(-90);
      image.flip({ horizontal: true, vertical: false });
      break;
    case 6:
      image.rotate(-90);
      break;
    case 7: // transverse
      image.rotate(-90);
      image.flip({ horizontal: false, vertical: true });
      break;
    case 8:
      image.rotate(90);
      break;
    default: // 1 (upright) or a value outside the standard: leave as stored
  }
}
