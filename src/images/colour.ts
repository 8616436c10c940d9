import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { LcmsModule } from 'lcms-wasm';
import type { RgbaBitmap } from './types';

/**
 * Colour management: every thumbnail is sRGB. Pixels with an embedded ICC profile (Display P3, Adobe
 * RGB, Rec. 2020, grey, CMYK) go through LittleCMS (lcms-wasm, WebAssembly) to sRGB with the
 * perceptual intent, as sharp does; pixels without one are taken as sRGB. LittleCMS is loaded on the
 * first profile, so images without one never pay for it.
 */

// LittleCMS pixel formats (lcms2.h's bit fields): colour space, flavour (1: 0 is full ink), extra
// channels (passed through untouched), colour channels, bytes per sample.
const PT_GRAY = 3;
const PT_RGB = 4;
const PT_CMYK = 6;
const pixelFormat = (space: number, channels: number, extra: number, minIsWhite = 0): number =>
  (space << 16) | (minIsWhite << 13) | (extra << 7) | (channels << 3) | 1;
const RGBA_8 = pixelFormat(PT_RGB, 3, 1);
/** A grey image expanded to RGBA: grey read from R, the other three bytes skipped. */
const GREY_IN_RGBA_8 = pixelFormat(PT_GRAY, 1, 3);
const CMYK_8 = pixelFormat(PT_CMYK, 4, 0);
/** Adobe's CMYK as Photoshop writes it in JPEG: 255 is no ink. */
const CMYK_8_INVERTED = pixelFormat(PT_CMYK, 4, 0, 1);

const SIG_RGB = 0x52474220;
const SIG_GRAY = 0x47524159;
const SIG_CMYK = 0x434d594b;
const INTENT_PERCEPTUAL = 0;

/** Transforms kept for a warm container: a few distinct profiles cover nearly every upload. */
const MAX_CACHED_TRANSFORMS = 8;
/** Pixels converted per call into WebAssembly: bounds its heap whatever the image size. */
const CHUNK_PIXELS = 1 << 20;

type Source = 'display' | 'cmyk' | 'cmyk-inverted';
/** A transform to sRGB; `identity` when the profile is sRGB already; `unusable` when it cannot be used. */
type Conversion = { transform: number } | 'identity' | 'unusable';

interface Engine {
  lcms: LcmsModule;
  srgb: number;
  conversions: Map<string, Conversion>;
}

let engine: Promise<Engine> | undefined;

function loadEngine(): Promise<Engine> {
  engine ??= (async () => {
    const [{ instantiate }, wasmBinary] = await Promise.all([
      import('lcms-wasm'),
      // Read from node_modules (serverless.yml packages it at the same path), not fetched by the glue.
      readFile(require.resolve('lcms-wasm/dist/lcms.wasm')),
    ]);
    const lcms = await instantiate({ wasmBinary, print: () => undefined, printErr: () => undefined });
    return { lcms, srgb: lcms.cmsCreate_sRGBProfile(), conversions: new Map() };
  })();
  // A failed load is not cached: the next image tries again.
  engine.catch(() => (engine = undefined));
  return engine;
}

/** Runs `transform` over `data` (4 bytes a pixel in and out), chunk by chunk, in place. */
function transformInPlace(lcms: LcmsModule, transform: number, data: Uint8Array): void {
  const chunkBytes = Math.min(data.length, CHUNK_PIXELS * 4);
  const pointer = lcms._malloc(chunkBytes);
  if (!pointer) throw new Error('LittleCMS could not allocate its pixel buffer');
  try {
    for (let offset = 0; offset < data.length; offset += chunkBytes) {
      const part = data.subarray(offset, offset + chunkBytes);
      // HEAPU8 is read each time: growing the WebAssembly memory replaces it.
      lcms.HEAPU8.set(part, pointer);
      lcms.ccall(
        'cmsDoTransform',
        null,
        ['number', 'number', 'number', 'number'],
        [transform, pointer, pointer, part.length / 4],
      );
      part.set(lcms.HEAPU8.subarray(pointer, pointer + part.length));
    }
  } finally {
    lcms._free(pointer);
  }
}

/** Colours whose conversion tells an sRGB profile from any other: the corners and inside of the cube. */
function probeColours(): Uint8Array {
  const levels = [0, 64, 128, 192, 255];
  const probe = new Uint8Array(levels.length ** 3 * 4);
  let i = 0;
  for (const r of levels)
    for (const g of levels)
      for (const b of levels) {
        probe.set([r, g, b, 255], i);
        i += 4;
      }
  return probe;
}

/** True if `transform` leaves every probe colour within one level: the profile describes sRGB. */
function isIdentity(lcms: LcmsModule, transform: number, grey: boolean): boolean {
  const probe = probeColours();
  if (grey) for (let i = 0; i < probe.length; i += 4) probe[i + 1] = probe[i + 2] = probe[i]!;
  const converted = probe.slice();
  transformInPlace(lcms, transform, converted);
  return converted.every((value, i) => i % 4 === 3 || Math.abs(value - probe[i]!) <= 1);
}

function createConversion({ lcms, srgb }: Engine, profileBytes: Uint8Array, source: Source): Conversion {
  const pointer = lcms._malloc(profileBytes.length);
  if (!pointer) return 'unusable';
  lcms.HEAPU8.set(profileBytes, pointer);
  // LittleCMS copies the bytes, checks the header and reads tags lazily; 0 for anything malformed.
  const profile = lcms.ccall('cmsOpenProfileFromMem', 'number', ['number', 'number'], [pointer, profileBytes.length]);
  lcms._free(pointer);
  if (!profile) return 'unusable';
  try {
    const space = lcms.cmsGetColorSpace(profile);
    let inputFormat: number;
    if (source === 'display' && space === SIG_RGB) inputFormat = RGBA_8;
    else if (source === 'display' && space === SIG_GRAY) inputFormat = GREY_IN_RGBA_8;
    else if (source !== 'display' && space === SIG_CMYK) {
      inputFormat = source === 'cmyk-inverted' ? CMYK_8_INVERTED : CMYK_8;
    } else return 'unusable';
    // 0 when a tag the transform needs is missing or unreadable.
    const transform = lcms.cmsCreateTransform(profile, inputFormat, srgb, RGBA_8, INTENT_PERCEPTUAL, 0);
    if (!transform) return 'unusable';
    if (source === 'display' && isIdentity(lcms, transform, inputFormat === GREY_IN_RGBA_8)) {
      lcms.cmsDeleteTransform(transform);
      return 'identity';
    }
    return { transform };
  } finally {
    lcms.cmsCloseProfile(profile);
  }
}

/** The cached conversion of `profileBytes`, created on first use; least recently used ones are dropped. */
async function conversionFor(
  profileBytes: Uint8Array,
  source: Source,
): Promise<{ lcms: LcmsModule; conversion: Conversion }> {
  const loaded = await loadEngine();
  const { lcms, conversions } = loaded;
  const key = `${source}:${createHash('sha256').update(profileBytes).digest('base64')}`;
  let conversion = conversions.get(key);
  if (conversion) {
    conversions.delete(key);
  } else {
    try {
      conversion = createConversion(loaded, profileBytes, source);
    } catch {
      // LittleCMS trapped on this profile: its heap may be damaged, so the next image gets a new one.
      engine = undefined;
      return { lcms, conversion: 'unusable' };
    }
  }
  conversions.set(key, conversion);
  for (const [oldest, dropped] of conversions) {
    if (conversions.size <= MAX_CACHED_TRANSFORMS) break;
    conversions.delete(oldest);
    if (typeof dropped === 'object') lcms.cmsDeleteTransform(dropped.transform);
  }
  return { lcms, conversion };
}

/**
 * Converts an RGBA bitmap whose pixels are in `iccProfile` (an RGB or grey profile) to sRGB, in place;
 * alpha is untouched. Returns the bitmap unchanged when the profile is sRGB already (found by running
 * a few colours through the transform, so any sRGB profile counts, whatever its name), and when the
 * profile cannot be used: unreadable, truncated, or not RGB or grey. Such profiles are common (editors
 * that cut APP2 chunks, a CMYK profile left on an RGB file) and browsers then show the pixels as sRGB;
 * a thumbnail with slightly off colours serves the user better than none, so this is not a failure
 * and not worth a log line per image.
 */
export async function convertToSrgb(bitmap: RgbaBitmap, iccProfile: Uint8Array): Promise<RgbaBitmap> {
  const { lcms, conversion } = await conversionFor(iccProfile, 'display');
  if (typeof conversion === 'object') transformInPlace(lcms, conversion.transform, bitmap.data);
  return bitmap;
}

/**
 * Turns CMYK pixels (4 bytes each, as decoded) into sRGB RGBA in place. `inverted`: Adobe's
 * convention, 255 is no ink. With a usable CMYK profile, LittleCMS converts through it. Without one,
 * the colours are uncalibrated: R = (1 - C)(1 - K) and likewise for G and B, which is what browsers
 * show for such files. sharp (libvips) uses a built-in CMYK profile instead; this project ships none:
 * the usual ones (SWOP, FOGRA) come with licences of their own, and a file without a profile says
 * nothing about the press it was made for anyway.
 */
export async function convertCmykToSrgb(
  cmyk: Buffer,
  width: number,
  height: number,
  options: { iccProfile?: Uint8Array | undefined; inverted: boolean },
): Promise<RgbaBitmap> {
  const { iccProfile, inverted } = options;
  const found = iccProfile ? await conversionFor(iccProfile, inverted ? 'cmyk-inverted' : 'cmyk') : undefined;
  if (found && typeof found.conversion === 'object') {
    transformInPlace(found.lcms, found.conversion.transform, cmyk);
    for (let i = 3; i < cmyk.length; i += 4) cmyk[i] = 255;
  } else {
    convertCmykUncalibrated(cmyk, inverted);
  }
  return { data: cmyk, width, height };
}

function convertCmykUncalibrated(pixels: Buffer, inverted: boolean): void {
  // A plain typed array and inline arithmetic: this loop runs once per pixel of up to 50 MP.
  const data = new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.length);
  const flip = inverted ? 0 : 255;
  for (let i = 0; i < data.length; i += 4) {
    // The light each component lets through, 255 for no ink.
    const k = Math.abs(flip - data[i + 3]!);
    data[i] = (Math.abs(flip - data[i]!) * k + 127) / 255;
    data[i + 1] = (Math.abs(flip - data[i + 1]!) * k + 127) / 255;
    data[i + 2] = (Math.abs(flip - data[i + 2]!) * k + 127) / 255;
    data[i + 3] = 255;
  }
}
