import { Jimp, JimpMime } from 'jimp';

/** A photo-like JPEG: a gradient, so resizing and encoding have real content to work on. */
export async function makeJpeg(width: number, height: number): Promise<Buffer> {
  const image = new Jimp({ width, height, color: 0xffffffff });
  image.scan(0, 0, width, height, (x, y, idx) => {
    image.bitmap.data[idx] = Math.round((255 * x) / width);
    image.bitmap.data[idx + 1] = Math.round((255 * y) / height);
    image.bitmap.data[idx + 2] = 128;
    image.bitmap.data[idx + 3] = 255;
  });
  return image.getBuffer(JimpMime.jpeg, { quality: 90 });
}

/** A PNG whose left half is opaque red and right half fully transparent. */
export async function makePngWithAlpha(width: number, height: number): Promise<Buffer> {
  const image = new Jimp({ width, height, color: 0x00000000 });
  image.scan(0, 0, Math.floor(width / 2), height, (_x, _y, idx) => {
    image.bitmap.data[idx] = 255;
    image.bitmap.data[idx + 3] = 255;
  });
  return image.getBuffer(JimpMime.png);
}

/**
 * A JPEG stored sideways, the way phone cameras write portrait photos: the pixels are `width` x `height`
 * with the top half red and the bottom half blue, plus an EXIF Orientation tag.
 * Orientation 6 means "rotate 90° clockwise to display", so it displays as `height` x `width`.
 */
export async function makeExifRotatedJpeg(width: number, height: number, orientation: number): Promise<Buffer> {
  const image = new Jimp({ width, height, color: 0x0000ffff });
  image.scan(0, 0, width, Math.floor(height / 2), (_x, _y, idx) => {
    image.bitmap.data[idx] = 255;
    image.bitmap.data[idx + 2] = 0;
  });
  const jpeg = await image.getBuffer(JimpMime.jpeg, { quality: 95 });
  return withExifOrientation(jpeg, orientation);
}

/** Inserts a minimal EXIF APP1 segment (one IFD entry: Orientation) right after the JPEG SOI marker. */
export function withExifOrientation(jpeg: Buffer, orientation: number): Buffer {
  // TIFF header (big-endian "MM"), offset 8 to IFD0, IFD0 with one SHORT entry, no next IFD.
  const tiff = Buffer.alloc(8 + 2 + 12 + 4);
  tiff.write('MM', 0, 'ascii');
  tiff.writeUInt16BE(42, 2);
  tiff.writeUInt32BE(8, 4);
  tiff.writeUInt16BE(1, 8); // one entry
  tiff.writeUInt16BE(0x0112, 10); // Orientation
  tiff.writeUInt16BE(3, 12); // SHORT
  tiff.writeUInt32BE(1, 14); // count
  tiff.writeUInt16BE(orientation, 18); // value, left-justified in the 4-byte field
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'ascii'), tiff]);
  const segment = Buffer.alloc(4);
  segment.writeUInt16BE(0xffe1, 0);
  segment.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), segment, payload, jpeg.subarray(2)]);
}

export async function decode(buffer: Buffer) {
  return Jimp.fromBuffer(buffer);
}

/** RGBA of the pixel at (x, y). */
export function pixelAt(image: Awaited<ReturnType<typeof decode>>, x: number, y: number) {
  const idx = (image.bitmap.width * y + x) * 4;
  const data = image.bitmap.data;
  return { r: data[idx]!, g: data[idx + 1]!, b: data[idx + 2]!, a: data[idx + 3]! };
}

/** Small deterministic PRNG (mulberry32), so generated samples are the same on every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Raw RGBA pixels that compress and resize like a photograph: a sky-to-ground gradient, soft discs
 * ("objects") and fine grain. `alpha` adds a transparent vignette, for PNG samples.
 */
export function photoLikePixels(width: number, height: number, seed = 1, alpha = false): Buffer {
  const rand = random(seed);
  const discs = Array.from({ length: 12 }, () => ({
    x: rand() * width,
    y: rand() * height,
    r: (0.05 + rand() * 0.2) * Math.min(width, height),
    color: [rand() * 255, rand() * 255, rand() * 255],
  }));
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    const v = y / height;
    for (let x = 0; x < width; x++) {
      const u = x / width;
      let r = 90 + 120 * (1 - v) + 30 * u;
      let g = 140 + 80 * (1 - v) - 40 * v * u;
      let b = 200 * (1 - v) + 60 * v;
      for (const disc of discs) {
        const dx = x - disc.x;
        const dy = y - disc.y;
        const weight = Math.max(0, 1 - Math.sqrt(dx * dx + dy * dy) / disc.r);
        r += (disc.color[0]! - r) * weight;
        g += (disc.color[1]! - g) * weight;
        b += (disc.color[2]! - b) * weight;
      }
      const grain = (rand() - 0.5) * 16;
      const idx = (y * width + x) * 4;
      data[idx] = Math.max(0, Math.min(255, r + grain));
      data[idx + 1] = Math.max(0, Math.min(255, g + grain));
      data[idx + 2] = Math.max(0, Math.min(255, b + grain));
      const edge = Math.min(u, 1 - u, v, 1 - v);
      data[idx + 3] = alpha ? Math.max(0, Math.min(255, Math.round(edge * 8 * 255))) : 255;
    }
  }
  return data;
}

export async function makePhotoJpeg(width: number, height: number, seed = 1, quality = 90): Promise<Buffer> {
  const image = new Jimp({ width, height, data: photoLikePixels(width, height, seed) });
  return image.getBuffer(JimpMime.jpeg, { quality });
}

export async function makePhotoPng(width: number, height: number, seed = 1): Promise<Buffer> {
  const image = new Jimp({ width, height, data: photoLikePixels(width, height, seed, true) });
  return image.getBuffer(JimpMime.png);
}
