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
const INTENT_RELATIVE_COLORIMETRIC = 1;
const NO_OPTIMIZE = 0x100;
/** 16 bits a sample, 0xffff full ink; and RGB as doubles (bytes 0 means 8, float bit set). */
const CMYK_16 = (PT_CMYK << 16) | (4 << 3) | 2;
const RGB_DOUBLE = (1 << 22) | (PT_RGB << 16) | (3 << 3);

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
  /** For CMYK only, made on the first CMYK profile (see blackPointCompensatedSrgb). */
  connection?: ConnectionSpace;
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

/** A LittleCMS profile handle, 0 when the bytes are not a profile it can read. */
function openProfile(lcms: LcmsModule, profileBytes: Uint8Array): number {
  const pointer = lcms._malloc(profileBytes.length);
  if (!pointer) return 0;
  lcms.HEAPU8.set(profileBytes, pointer);
  // LittleCMS copies the bytes, checks the header and reads tags lazily; 0 for anything malformed.
  const profile = lcms.ccall('cmsOpenProfileFromMem', 'number', ['number', 'number'], [pointer, profileBytes.length]);
  lcms._free(pointer);
  return profile;
}

function createConversion(engine: Engine, profileBytes: Uint8Array, source: Source): Conversion {
  const { lcms, srgb } = engine;
  const profile = openProfile(lcms, profileBytes);
  if (!profile) return 'unusable';
  try {
    const space = lcms.cmsGetColorSpace(profile);
    let inputFormat: number;
    if (source === 'display' && space === SIG_RGB) inputFormat = RGBA_8;
    else if (source === 'display' && space === SIG_GRAY) inputFormat = GREY_IN_RGBA_8;
    else if (source !== 'display' && space === SIG_CMYK) {
      inputFormat = source === 'cmyk-inverted' ? CMYK_8_INVERTED : CMYK_8;
    } else return 'unusable';
    const output = source === 'display' ? srgb : blackPointCompensatedSrgb(engine, profile, profileBytes);
    if (!output) return 'unusable';
    // 0 when a tag the transform needs is missing or unreadable.
    const transform = lcms.cmsCreateTransform(profile, inputFormat, output, RGBA_8, INTENT_PERCEPTUAL, 0);
    if (output !== srgb) lcms.cmsCloseProfile(output);
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
 * convention, 255 is no ink. With a usable CMYK profile, LittleCMS converts through it, with the
 * profile's black point mapped to sRGB black as LittleCMS 2.17 and later do (see
 * blackPointCompensatedSrgb). Without one,
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

// Black point compensation for CMYK sources. In the perceptual intent towards a v4 profile (sRGB)
// LittleCMS maps the source's black point to the output's black. lcms-wasm is LittleCMS 2.16, which
// makes that black point neutral first (a = b = 0); 2.17 and later (libvips, so sharp) keep its hue.
// A CMYK black is rarely neutral (libvips' profile: Lab 13, 2, -7), so 2.16 leaves dark colours off
// in hue: blue 4 levels off sharp on average, 13 at black. So the compensation is done here, as
// 2.17 does it, inside a v2 output profile (LittleCMS adds none of its own between v2 profiles).

type Vector = [number, number, number];
type Matrix = [Vector, Vector, Vector];

/** LittleCMS' D50 connection space white, and its XYZ encoding limit (1 + 32767/32768). */
const D50: Vector = [0.9642, 1, 0.8249];
const MAX_ENCODEABLE_XYZ = 1 + 32767 / 32768;
/** The black of the ICC v4 perceptual reference medium (cmsPERCEPTUAL_BLACK). */
const PERCEPTUAL_BLACK: Vector = [0.00336, 0.0034731, 0.00287];

interface ConnectionSpace {
  /** A v2 RGB profile whose linear RGB is XYZ: reads connection space values with no compensation. */
  xyz: number;
  /** sRGB's linear RGB to XYZ (D50), as LittleCMS' own sRGB profile has it. */
  srgbToXyz: Matrix;
}

/** Runs one transform (made without optimisation) over `input`, returning `count` RGB doubles. */
function transformToDoubles(
  lcms: LcmsModule,
  input: { profile: number; format: number; bytes: Uint8Array },
  output: number,
  intent: number,
  count: number,
): Float64Array | undefined {
  const transform = lcms.cmsCreateTransform(input.profile, input.format, output, RGB_DOUBLE, intent, NO_OPTIMIZE);
  if (!transform) return undefined;
  const inPointer = lcms._malloc(input.bytes.length);
  const outPointer = lcms._malloc(count * 24);
  try {
    if (!inPointer || !outPointer) return undefined;
    lcms.HEAPU8.set(input.bytes, inPointer);
    lcms.ccall(
      'cmsDoTransform',
      null,
      ['number', 'number', 'number', 'number'],
      [transform, inPointer, outPointer, count],
    );
    return new Float64Array(lcms.HEAPU8.slice(outPointer, outPointer + count * 24).buffer);
  } finally {
    lcms._free(inPointer);
    lcms._free(outPointer);
    lcms.cmsDeleteTransform(transform);
  }
}

function connectionSpace(engine: Engine): ConnectionSpace {
  if (engine.connection) return engine.connection;
  const { lcms, srgb } = engine;
  const xyz = openProfile(
    lcms,
    iccProfileBytes([
      ['wtpt', xyzTag(D50)],
      ['rXYZ', xyzTag([1, 0, 0])],
      ['gXYZ', xyzTag([0, 1, 0])],
      ['bXYZ', xyzTag([0, 0, 1])],
      ['rTRC', identityCurve()],
      ['gTRC', identityCurve()],
      ['bTRC', identityCurve()],
    ]),
  );
  if (!xyz) throw new Error('LittleCMS could not read the connection space profile');
  // sRGB's red, green and blue, read in the connection space: the columns of its matrix.
  const primaries = new Float64Array([1, 0, 0, 0, 1, 0, 0, 0, 1]);
  const columns = transformToDoubles(
    lcms,
    { profile: srgb, format: RGB_DOUBLE, bytes: new Uint8Array(primaries.buffer) },
    xyz,
    INTENT_RELATIVE_COLORIMETRIC,
    3,
  );
  if (!columns) throw new Error('LittleCMS could not read its own sRGB profile');
  const srgbToXyz = [0, 1, 2].map((row) => [0, 1, 2].map((k) => columns[k * 3 + row]!)) as Matrix;
  engine.connection = { xyz, srgbToXyz };
  return engine.connection;
}

/**
 * The source profile's black point as LittleCMS 2.17+ finds it for the perceptual intent: the
 * reference medium's black for v4 profiles; for v2 ones, full ink read through the profile, its
 * lightness kept between 0 and 50 (over 95 taken as 0: a negative profile), its hue kept.
 */
function blackPointOf(
  lcms: LcmsModule,
  connection: ConnectionSpace,
  profile: number,
  profileBytes: Uint8Array,
): Vector {
  const version = profileBytes[8] ?? 0;
  if (version >= 4) return PERCEPTUAL_BLACK;
  const fullInk = new Uint8Array(new Uint16Array([0xffff, 0xffff, 0xffff, 0xffff]).buffer);
  const read = transformToDoubles(
    lcms,
    { profile, format: CMYK_16, bytes: fullInk },
    connection.xyz,
    INTENT_PERCEPTUAL,
    1,
  );
  if (!read) return [0, 0, 0];
  const [l, a, b] = xyzToLab([read[0]!, read[1]!, read[2]!]);
  const lightness = l > 95 || !(l > 0) ? 0 : Math.min(l, 50);
  const black = labToXyz([lightness, a, b]);
  // Outside XYZ's range or near the white: a broken profile; its hue is dropped, as 2.16 does.
  return black.every((value, k) => value >= 0 && value < D50[k]! / 2) ? black : labToXyz([lightness, 0, 0]);
}

/**
 * An sRGB output profile that first maps `profile`'s black point to black and leaves the white
 * alone, per XYZ axis, as LittleCMS' black point compensation does: a v2 profile (so LittleCMS adds
 * no compensation of its own) whose BToA0 tag is XYZ -> matrix and offset -> sRGB's encoding curve.
 */
function blackPointCompensatedSrgb(engine: Engine, profile: number, profileBytes: Uint8Array): number {
  const connection = connectionSpace(engine);
  const black = blackPointOf(engine.lcms, connection, profile, profileBytes);
  // XYZ' = scale * XYZ + shift, per axis: black goes to 0, the white stays.
  const scale = D50.map((white, k) => white / (white - black[k]!));
  const shift = D50.map((white, k) => (-white * black[k]!) / (white - black[k]!));
  const toRgb = invert(connection.srgbToXyz);
  // The connection space reaches this tag as XYZ / MAX_ENCODEABLE_XYZ.
  const matrix = toRgb.map((row) => row.map((value, k) => value * scale[k]! * MAX_ENCODEABLE_XYZ));
  const offset = toRgb.map((row) => row.reduce((sum, value, k) => sum + value * shift[k]!, 0));
  // Linear to sRGB: 1.055 x^(1/2.4) - 0.055, 12.92 x below 0.0031308 (ICC parametric type 4).
  const encode = parametricCurve([1 / 2.4, 1.055 ** 2.4, 0, 12.92, 0.0031308, -0.055, 0]);
  const identityCurves = [identityCurve(), identityCurve(), identityCurve()];
  const matrixBytes = Buffer.concat([...matrix.flat(), ...offset].map(s15Fixed16));
  const head = Buffer.alloc(32);
  head.write('mBA ', 0, 'latin1');
  head.writeUInt8(3, 8);
  head.writeUInt8(3, 9);
  const bCurvesAt = head.length;
  const matrixAt = bCurvesAt + 3 * identityCurve().length;
  head.writeUInt32BE(bCurvesAt, 12);
  head.writeUInt32BE(matrixAt, 16);
  head.writeUInt32BE(matrixAt + matrixBytes.length, 20);
  const bToA = Buffer.concat([head, ...identityCurves, matrixBytes, encode, encode, encode]);
  return openProfile(
    engine.lcms,
    iccProfileBytes([
      ['wtpt', xyzTag(D50)],
      ['B2A0', bToA],
    ]),
  );
}

const s15Fixed16 = (value: number): Buffer => {
  const bytes = Buffer.alloc(4);
  bytes.writeInt32BE(Math.round(value * 65536));
  return bytes;
};
const xyzTag = (value: number[]): Buffer =>
  Buffer.concat([Buffer.from('XYZ \0\0\0\0', 'latin1'), ...value.map(s15Fixed16)]);
/** A 'curv' with no entries: the identity. */
const identityCurve = (): Buffer => Buffer.from('curv\0\0\0\0\0\0\0\0', 'latin1');
/** A 'para' curve of function type 4: (a x + b)^g + e from d on, c x + f below. */
const parametricCurve = (parameters: number[]): Buffer =>
  Buffer.concat([Buffer.from('para\0\0\0\0\0\x04\0\0', 'latin1'), ...parameters.map(s15Fixed16)]);

/** An ICC v2 display profile, RGB with an XYZ connection space, holding `tags` (each 4-byte aligned). */
function iccProfileBytes(tags: [string, Buffer][]): Uint8Array {
  const table = Buffer.alloc(4 + tags.length * 12);
  table.writeUInt32BE(tags.length, 0);
  let offset = 128 + table.length;
  const bodies = tags.map(([signature, body], k) => {
    table.write(signature, 4 + k * 12, 'latin1');
    table.writeUInt32BE(offset, 8 + k * 12);
    table.writeUInt32BE(body.length, 12 + k * 12);
    const padded = Buffer.concat([body, Buffer.alloc((4 - (body.length % 4)) % 4)]);
    offset += padded.length;
    return padded;
  });
  const header = Buffer.alloc(128);
  header.writeUInt32BE(offset, 0);
  header.writeUInt32BE(0x02100000, 8);
  header.write('mntrRGB XYZ ', 12, 'latin1');
  header.write('acsp', 36, 'latin1');
  D50.map(s15Fixed16).forEach((bytes, k) => bytes.copy(header, 68 + k * 4));
  return new Uint8Array(Buffer.concat([header, table, ...bodies]));
}

// CIE Lab from and to XYZ, D50 white, as LittleCMS computes them.
const labF = (t: number): number => (t <= (24 / 116) ** 3 ? (841 / 108) * t + 16 / 116 : Math.cbrt(t));
const labFInverse = (t: number): number => (t <= 24 / 116 ? (108 / 841) * (t - 16 / 116) : t ** 3);

function xyzToLab(xyz: Vector): Vector {
  const [fx, fy, fz] = xyz.map((value, k) => labF(value / D50[k]!)) as Vector;
  return [116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)];
}

function labToXyz([l, a, b]: Vector): Vector {
  const fy = (l + 16) / 116;
  return [fy + a / 500, fy, fy - b / 200].map((f, k) => labFInverse(f) * D50[k]!) as Vector;
}

function invert(m: Matrix): Matrix {
  const [[a, b, c], [d, e, f], [g, h, i]] = m;
  const det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  return [
    [(e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det],
    [(f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det],
    [(d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det],
  ];
}
