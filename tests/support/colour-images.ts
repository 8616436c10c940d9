/**
 * Test images for colour management, built at test time: saturated sRGB content, an Adobe RGB (1998)
 * ICC profile written from the published primaries, and comparisons per channel.
 */

/** sRGB pixels (3 bytes each) running through saturated hues at full and half brightness, plus greys. */
export function saturatedSrgb(width: number, height: number): Buffer {
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const band = Math.floor((y * 4) / height);
      const hue = (x / width) * 6;
      // Hue wheel at full saturation: one channel 255, one 0, one ramping.
      const ramp = Math.round((1 - Math.abs((hue % 2) - 1)) * 255);
      const sector = Math.floor(hue) % 6;
      const rgb = [
        [255, ramp, 0],
        [ramp, 255, 0],
        [0, 255, ramp],
        [0, ramp, 255],
        [ramp, 0, 255],
        [255, 0, ramp],
      ][sector]!;
      const grey = Math.round((x / (width - 1)) * 255);
      const value =
        band === 3 ? [grey, grey, grey] : rgb.map((c) => (band === 1 ? c >> 1 : band === 2 ? 128 + (c >> 1) : c));
      pixels.set(value, (y * width + x) * 3);
    }
  }
  return pixels;
}

/** Mean absolute difference of R, G and B between two bitmaps of the same size (alpha ignored). */
export function meanAbsoluteDifference(a: Uint8Array, aChannels: number, b: Uint8Array, bChannels: number): number[] {
  const pixels = a.length / aChannels;
  if (b.length / bChannels !== pixels) throw new Error(`sizes differ: ${pixels} and ${b.length / bChannels} pixels`);
  const sums = [0, 0, 0];
  for (let i = 0; i < pixels; i++) {
    for (let c = 0; c < 3; c++) sums[c]! += Math.abs(a[i * aChannels + c]! - b[i * bChannels + c]!);
  }
  return sums.map((sum) => sum / pixels);
}

type Vector = [number, number, number];
type Matrix = [Vector, Vector, Vector];

const multiply = (m: Matrix, v: Vector): Vector =>
  m.map((row) => row[0] * v[0] + row[1] * v[1] + row[2] * v[2]) as Vector;

function invert(m: Matrix): Matrix {
  const [[a, b, c], [d, e, f], [g, h, i]] = m;
  const det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  return [
    [(e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det],
    [(f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det],
    [(d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det],
  ];
}

const xyToXyz = (x: number, y: number): Vector => [x / y, 1, (1 - x - y) / y];

/** The three colorants (XYZ, adapted to the D50 connection space with Bradford) of an RGB space. */
function colorantsD50(primaries: [number, number][], white: [number, number]): Vector[] {
  const columns = primaries.map(([x, y]) => xyToXyz(x, y));
  const p: Matrix = [0, 1, 2].map((row) => columns.map((column) => column[row]!)) as Matrix;
  const scale = multiply(invert(p), xyToXyz(...white));
  const bradford: Matrix = [
    [0.8951, 0.2664, -0.1614],
    [-0.7502, 1.7135, 0.0367],
    [0.0389, -0.0685, 1.0296],
  ];
  const from = multiply(bradford, xyToXyz(...white));
  const to = multiply(bradford, [0.9642, 1, 0.8249]);
  const adapt = (v: Vector): Vector => {
    const cone = multiply(bradford, v);
    return multiply(invert(bradford), [0, 1, 2].map((k) => (cone[k]! * to[k]!) / from[k]!) as Vector);
  };
  return columns.map((column, k) => adapt(column.map((value) => value * scale[k]!) as Vector));
}

/**
 * An ICC v2 display profile (matrix and tone curves) for Adobe RGB (1998): primaries (0.64, 0.33),
 * (0.21, 0.71), (0.15, 0.06), white D65, gamma 563/256 (2.2 as Adobe's own profile encodes it; other
 * gammas make other profiles).
 * Written field by field from ICC.1:2001-04, since lcms-wasm exposes no profile writer.
 */
export function adobeRgbProfile(gamma = 563 / 256): Buffer {
  const s15 = (value: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(Math.round(value * 65536));
    return b;
  };
  const xyz = (v: Vector): Buffer => Buffer.concat([Buffer.from('XYZ \0\0\0\0', 'latin1'), ...v.map(s15)]);
  const fixed8 = Math.round(gamma * 256);
  const curve = Buffer.from([...Buffer.from('curv\0\0\0\0', 'latin1'), 0, 0, 0, 1, fixed8 >> 8, fixed8 & 0xff, 0, 0]);
  const text = (value: string): Buffer => Buffer.from(`text\0\0\0\0${value}\0`, 'latin1');
  const description = (value: string): Buffer => {
    const head = Buffer.alloc(12);
    head.write('desc', 0, 'latin1');
    head.writeUInt32BE(value.length + 1, 8);
    // ASCII with its NUL, then empty Unicode (language, count) and ScriptCode (code, count, 67 bytes).
    return Buffer.concat([head, Buffer.from(`${value}\0`, 'latin1'), Buffer.alloc(8), Buffer.alloc(70)]);
  };
  const [red, green, blue] = colorantsD50(
    [
      [0.64, 0.33],
      [0.21, 0.71],
      [0.15, 0.06],
    ],
    [0.3127, 0.329],
  );
  const tags: [string, Buffer][] = [
    ['desc', description('Adobe RGB (1998) primaries, test profile')],
    ['cprt', text('No copyright, written by the test suite')],
    ['wtpt', xyz([0.9642, 1, 0.8249])],
    ['rXYZ', xyz(red!)],
    ['gXYZ', xyz(green!)],
    ['bXYZ', xyz(blue!)],
    ['rTRC', curve],
    ['gTRC', curve],
    ['bTRC', curve],
  ];
  const pad = (b: Buffer): Buffer => Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);
  const tableSize = 4 + tags.length * 12;
  const table = Buffer.alloc(tableSize);
  table.writeUInt32BE(tags.length, 0);
  let offset = 128 + tableSize;
  const bodies: Buffer[] = [];
  tags.forEach(([signature, body], k) => {
    table.write(signature, 4 + k * 12, 'latin1');
    table.writeUInt32BE(offset, 8 + k * 12);
    table.writeUInt32BE(body.length, 12 + k * 12);
    bodies.push(pad(body));
    offset += pad(body).length;
  });
  const header = Buffer.alloc(128);
  header.writeUInt32BE(offset, 0);
  header.writeUInt32BE(0x02100000, 8);
  header.write('mntrRGB XYZ ', 12, 'latin1');
  [2026, 1, 1, 0, 0, 0].forEach((value, k) => header.writeUInt16BE(value, 24 + k * 2));
  header.write('acsp', 36, 'latin1');
  s15(0.9642).copy(header, 68);
  s15(1).copy(header, 72);
  s15(0.8249).copy(header, 76);
  return Buffer.concat([header, table, ...bodies]);
}

/** The Adobe APP14 transform flag of a JPEG (0 CMYK or RGB, 1 YCbCr, 2 YCCK), or undefined without one. */
export function adobeTransformOf(jpeg: Buffer): number | undefined {
  let offset = 2;
  while (offset + 4 <= jpeg.length && jpeg[offset] === 0xff && jpeg[offset + 1] !== 0xda) {
    const length = jpeg.readUInt16BE(offset + 2);
    if (jpeg[offset + 1] === 0xee && jpeg.toString('latin1', offset + 4, offset + 9) === 'Adobe') {
      return jpeg[offset + 4 + 11];
    }
    offset += 2 + length;
  }
  return undefined;
}

/**
 * The same JPEG with its Adobe APP14 segment changed: `transform` rewrites the flag (2 makes the
 * decoder read the components as YCCK), `undefined` removes the segment (plain, non-inverted CMYK).
 */
export function withAdobeTransform(jpeg: Buffer, transform: number | undefined): Buffer {
  let offset = 2;
  while (offset + 4 <= jpeg.length && jpeg[offset] === 0xff && jpeg[offset + 1] !== 0xda) {
    const length = jpeg.readUInt16BE(offset + 2);
    if (jpeg[offset + 1] === 0xee && jpeg.toString('latin1', offset + 4, offset + 9) === 'Adobe') {
      if (transform === undefined) return Buffer.concat([jpeg.subarray(0, offset), jpeg.subarray(offset + 2 + length)]);
      const copy = Buffer.from(jpeg);
      copy[offset + 4 + 11] = transform;
      return copy;
    }
    offset += 2 + length;
  }
  throw new Error('no Adobe APP14 segment');
}
