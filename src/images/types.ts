/**
 * The decode layer's domain types. A leaf module: it imports nothing of the project, so config, the
 * format modules and the render step can all depend on it without cycles.
 */

/** Pixels as 8-bit RGBA, 4 bytes each, row by row, no padding (jimp's bitmap layout). */
export interface RgbaBitmap {
  data: Buffer;
  width: number;
  height: number;
}

/** Source formats the decode layer recognises by content. */
export type SourceFormat = 'jpeg' | 'png' | 'gif' | 'webp' | 'avif' | 'heic' | 'bmp' | 'tiff' | 'jxl';

/** Thumbnail encodings; `auto` picks JPEG for opaque images and PNG where there is transparency. */
export type OutputFormat = 'jpeg' | 'png' | 'webp' | 'avif';
export type OutputFormatSetting = OutputFormat | 'auto';

/**
 * What a file declares about the one image that will be decoded from it (the first frame or page),
 * read from its header and container without decoding pixels.
 */
export interface DeclaredImage {
  readonly format: SourceFormat;
  /** Stored size of the image that will be decoded (before orientation is applied). */
  readonly width: number;
  readonly height: number;
  /** Bits per sample as stored (8, 10, 12, 16, ...): counted in the memory estimate. */
  readonly bitsPerSample: number;
  /** Samples per pixel the decoder holds as stored (1 grey, 3 RGB/YCbCr, 4 RGBA/CMYK). */
  readonly channels: number;
  /**
   * Bytes the decoder needs on top of its RGBA output, where the format makes that known (e.g. a PNG
   * at 16 bits holds its whole inflated data; MozJPEG holds coefficient planes for progressive files).
   * Omitted: width x height x channels x bitsPerSample / 8.
   */
  readonly workingBytes?: number;
}

/** The first image of a file, decoded to 8-bit RGBA, and what is still to be done to it. */
export interface DecodedImage {
  readonly bitmap: RgbaBitmap;
  /** EXIF orientation 1-8 still to apply (1: the decoder already made it upright, or nothing to do). */
  readonly orientation: number;
  /** Whether any pixel may be transparent (decides `auto` output: PNG if so, JPEG if not). */
  readonly hasAlpha: boolean;
  /** The embedded ICC profile of the pixels in `bitmap`, if any; absent means sRGB. */
  readonly iccProfile?: Uint8Array;
  /**
   * Set when the decoder reduced the image while decoding (see DecodeOptions): its full stored size,
   * from which thumbnail sizes are planned. Absent: `bitmap` is full size.
   */
  readonly fullSize?: { readonly width: number; readonly height: number };
}

/** What the render step tells a decoder beyond the file. */
export interface DecodeOptions {
  /**
   * The smallest stored size the render can use (each side): a decoder that can reduce while decoding
   * (JPEG's DCT scaling) may return any size from this up to the full one, keeping the aspect ratio.
   */
  readonly atLeast?: { readonly width: number; readonly height: number };
}

/** Limits every decode is held to before it starts. */
export interface DecodeBudget {
  /** Largest width x height of the decoded frame or page. */
  readonly maxPixels: number;
  /** Largest estimated decode memory in bytes (source samples + RGBA + decoder working memory). */
  readonly maxBytes: number;
}

/**
 * One source format: recognise it, read what it declares, decode its first image. The render step
 * never sees the format: it gets a DecodedImage.
 */
export interface ImageFormat {
  readonly name: SourceFormat;
  /** True if `bytes` start with this format's signature. Cheap: a few bytes at the start. */
  sniff(bytes: Uint8Array): boolean;
  /**
   * Reads the header and container: the size, depth and channels of the first image, and any
   * structure the decoder would pay for (frames beyond the canvas, scan counts, inflated sizes). Throws
   * a PermanentFailure (src/errors.ts) for a malformed or hostile structure. Must not decode pixels.
   */
  inspect(bytes: Buffer, budget: DecodeBudget): DeclaredImage;
  /** Decodes the first image only. Called after `inspect` and the budget check passed. */
  decode(bytes: Buffer, declared: DeclaredImage, options?: DecodeOptions): Promise<DecodedImage>;
}
