/**
 * Recognises video containers by their first bytes, as the decode layer recognises images: S3
 * notifications cannot filter by extension reliably (suffix filters are case-sensitive), and names are
 * not trusted. Called only on bytes no image format claimed, so the HEIF image brands (AVIF, HEIC) never
 * reach it; they are excluded here as well, so that the answer does not depend on that order.
 */

/** How many leading bytes the sniff needs: the ftyp box with its brands, or the EBML header. */
export const VIDEO_SNIFF_BYTES = 64;

/** ISO BMFF brands of still images and image sequences: the image function's, never a video's. */
const IMAGE_BRANDS = new Set(['mif1', 'msf1', 'heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'avif', 'avis', 'avio']);

/** QuickTime files written without an ftyp box start with one of these atoms. */
const QUICKTIME_FIRST_ATOMS = new Set(['moov', 'mdat', 'wide', 'free', 'skip', 'pnot']);

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, end));
}

/** The container a video starts with, or undefined if these bytes are not a video container. */
export function sniffVideoContainer(bytes: Uint8Array): 'iso-bmff' | 'matroska' | undefined {
  // EBML header: Matroska and WebM.
  if (bytes.length >= 4 && bytes[0] === 0x1a && bytes[1] === 0x45 && bytes[2] === 0xdf && bytes[3] === 0xa3) {
    return 'matroska';
  }
  if (bytes.length < 12) return undefined;
  const boxType = ascii(bytes, 4, 8);
  if (boxType === 'ftyp') {
    // MP4, MOV, M4V, 3GP and audio-only M4A alike: ffmpeg tells them apart (no video stream: dead-lettered).
    return IMAGE_BRANDS.has(ascii(bytes, 8, 12)) ? undefined : 'iso-bmff';
  }
  const boxSize = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
  return QUICKTIME_FIRST_ATOMS.has(boxType) && (boxSize === 1 || boxSize >= 8) ? 'iso-bmff' : undefined;
}

export function isVideo(bytes: Uint8Array): boolean {
  return sniffVideoContainer(bytes) !== undefined;
}
