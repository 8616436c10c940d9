import type { SourceFormat } from '../types';
import { heifFamily } from './isobmff';

/**
 * How each format recognises a file by its first bytes, apart from the decoders: the function's own
 * thread tells images from videos with these alone, and never loads a codec (the render thread does).
 */

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function latin1(bytes: Uint8Array, start: number, length: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, length).toString('latin1');
}

export const SIGNATURES: Readonly<Record<Exclude<SourceFormat, 'jxl'>, (bytes: Uint8Array) => boolean>> = {
  jpeg: (bytes) => bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff,
  png: (bytes) => bytes.length >= 8 && PNG_SIGNATURE.equals(bytes.subarray(0, 8)),
  webp: (bytes) => bytes.length >= 12 && latin1(bytes, 0, 4) === 'RIFF' && latin1(bytes, 8, 4) === 'WEBP',
  // Both are HEIF containers: the brands and the primary item's codec decide, so exactly one claims a file.
  avif: (bytes) => heifFamily(bytes) === 'avif',
  heic: (bytes) => heifFamily(bytes) === 'heic',
  gif: (bytes) => bytes.length >= 6 && ['GIF87a', 'GIF89a'].includes(latin1(bytes, 0, 6)),
  bmp: (bytes) => bytes.length >= 2 && bytes[0] === 0x42 && bytes[1] === 0x4d, // 'BM'
  tiff: (bytes) => {
    if (bytes.length < 4) return false;
    const [a, b, c, d] = bytes;
    return (a === 0x49 && b === 0x49 && c === 42 && d === 0) || (a === 0x4d && b === 0x4d && c === 0 && d === 42);
  },
};

/** Whether `bytes` start like a file of a format the decode layer reads. */
export function hasImageSignature(bytes: Uint8Array): boolean {
  return Object.values(SIGNATURES).some((sniff) => sniff(bytes));
}
