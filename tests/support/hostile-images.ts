import sharp from 'sharp';
import { buildPng } from './png-bytes';
import { photoLikePixels } from './sample-images';

/**
 * Hostile files, built as their structure really is (not a patched header): each is small on disk and
 * would cost a naive decoder gigabytes or minutes. Shared by unit and functional tests.
 */

/** A progressive JPEG whose last scan is repeated `times` times: each repeat is a full pass for the decoder. */
export async function scanFloodJpeg(times: number, width = 320, height = 240): Promise<Buffer> {
  const jpeg = await sharp(photoLikePixels(width, height, 3), { raw: { width, height, channels: 4 } })
    .jpeg({ progressive: true })
    .toBuffer();
  const end = jpeg.lastIndexOf(Buffer.from([0xff, 0xd9]));
  const start = jpeg.lastIndexOf(Buffer.from([0xff, 0xda]), end);
  const scan = jpeg.subarray(start, end);
  return Buffer.concat([jpeg.subarray(0, end), ...Array.from({ length: times }, () => scan), jpeg.subarray(end)]);
}

/** An interlaced PNG declaring 1x1 whose image data inflates to `inflatedBytes` (zeros: 1 KB compressed per MB). */
export function pngInflationBomb(inflatedBytes: number): Buffer {
  return buildPng({ width: 1, height: 1, interlaced: true }, Buffer.alloc(inflatedBytes), 9);
}

/**
 * A GIF whose 1x1 logical screen holds a first frame declared 65000x65000: 4 billion pixels from a few
 * dozen bytes (the LZW data is one clear code and an end code).
 */
export function gifFrameOutsideScreen(): Buffer {
  // 1x1, a global colour table of 2 entries (black, white).
  const screen = Buffer.from([0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0, 0, 0, 255, 255, 255]);
  const descriptor = Buffer.alloc(10);
  descriptor[0] = 0x2c;
  descriptor.writeUInt16LE(65_000, 5);
  descriptor.writeUInt16LE(65_000, 7);
  // LZW minimum code size 2; one sub-block: clear (4) then end (5) in 3-bit codes; block terminator; trailer.
  const data = Buffer.from([0x02, 0x01, 0x2c, 0x00, 0x3b]);
  return Buffer.concat([Buffer.from('GIF89a', 'latin1'), screen, descriptor, data]);
}
