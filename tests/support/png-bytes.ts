import { crc32, deflateSync } from 'node:zlib';

/**
 * Builds PNG files chunk by chunk, with valid CRCs, so tests can make the hostile structures themselves
 * (image data that inflates beyond its header, interlaced 1x1 images carrying megabytes) rather than
 * patching a header.
 */
export function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed) >>> 0);
  return Buffer.concat([length, typed, crc]);
}

export interface PngHeader {
  width: number;
  height: number;
  bitDepth?: number;
  /** 0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGBA. */
  colourType?: number;
  interlaced?: boolean;
}

/** A PNG with the given header whose image data is `inflated` (filter bytes included), deflated. */
export function buildPng(header: PngHeader, inflated: Buffer, level = 9): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(header.width, 0);
  ihdr.writeUInt32BE(header.height, 4);
  ihdr[8] = header.bitDepth ?? 8;
  ihdr[9] = header.colourType ?? 6;
  ihdr[12] = header.interlaced ? 1 : 0;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(inflated, { level })),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}
