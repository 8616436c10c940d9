/**
 * Builds HEIF (AVIF/HEIC) containers box by box, for tests of what the decode layer reads from them:
 * hostile sizes, grids, transforms, alpha. The coded data is whatever bytes the test gives (or none);
 * such files are for `inspect`, never for a decoder.
 */

const u8 = (value: number) => Buffer.from([value]);
export const u16 = (value: number) => {
  const buffer = Buffer.alloc(2);
  buffer.writeUInt16BE(value);
  return buffer;
};
const u32 = (value: number) => {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value);
  return buffer;
};

export function box(type: string, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  return Buffer.concat([u32(8 + body.length), Buffer.from(type, 'latin1'), body]);
}

export function fullBox(type: string, version: number, flags: number, ...parts: Buffer[]): Buffer {
  return box(type, u32((version << 24) | flags), ...parts);
}

export const ispe = (width: number, height: number) => fullBox('ispe', 0, 0, u32(width), u32(height));
export const pixi = (...depths: number[]) => fullBox('pixi', 0, 0, u8(depths.length), ...depths.map(u8));
/** Anticlockwise quarter turns. */
export const irot = (quarterTurns: number) => box('irot', u8(quarterTurns));
export const imir = (axis: 0 | 1) => box('imir', u8(axis));
export const colrProfile = (icc: Buffer) => box('colr', Buffer.from('prof', 'latin1'), icc);
export const colrNclx = () => box('colr', Buffer.from('nclx', 'latin1'), u16(1), u16(13), u16(6), u8(0x80));
export const auxC = (urn: string) => fullBox('auxC', 0, 0, Buffer.from(`${urn}\0`, 'utf8'));
export const ALPHA_URN = 'urn:mpeg:mpegB:cicp:systems:auxiliary:alpha';

/** A grid item's payload: rows x columns tiles, output size (16-bit fields). */
export function gridPayload(rows: number, columns: number, width: number, height: number): Buffer {
  return Buffer.concat([u8(0), u8(0), u8(rows - 1), u8(columns - 1), u16(width), u16(height)]);
}

export interface TestItem {
  readonly id: number;
  readonly type: string;
  readonly properties?: readonly Buffer[];
  /** Stored in idat (construction method 1). */
  readonly data?: Buffer;
}

export interface TestReference {
  readonly type: string;
  readonly from: number;
  readonly to: readonly number[];
}

export interface TestHeif {
  readonly major: string;
  readonly compatible?: readonly string[];
  readonly primary: number;
  readonly items: readonly TestItem[];
  readonly references?: readonly TestReference[];
  /** Replaces the iloc box built from the items' data. */
  readonly iloc?: Buffer;
}

/** ftyp + meta (hdlr, pitm, iinf, iref, iprp, iloc, idat), no mdat. */
export function heifFile(spec: TestHeif): Buffer {
  const ftyp = box(
    'ftyp',
    Buffer.from(spec.major, 'latin1'),
    u32(0),
    ...[spec.major, ...(spec.compatible ?? [])].map((brand) => Buffer.from(brand, 'latin1')),
  );
  const hdlr = fullBox('hdlr', 0, 0, u32(0), Buffer.from('pict', 'latin1'), Buffer.alloc(12), u8(0));
  const pitm = fullBox('pitm', 0, 0, u16(spec.primary));
  const iinf = fullBox(
    'iinf',
    0,
    0,
    u16(spec.items.length),
    ...spec.items.map((item) => fullBox('infe', 2, 0, u16(item.id), u16(0), Buffer.from(item.type, 'latin1'))),
  );
  const iref = fullBox(
    'iref',
    0,
    0,
    ...(spec.references ?? []).map((ref) => box(ref.type, u16(ref.from), u16(ref.to.length), ...ref.to.map(u16))),
  );
  const properties: Buffer[] = [];
  const associations = spec.items.map((item) => {
    const indexes = (item.properties ?? []).map((property) => properties.push(property));
    return Buffer.concat([u16(item.id), u8(indexes.length), ...indexes.map((index) => u8(index))]);
  });
  const iprp = box('iprp', box('ipco', ...properties), fullBox('ipma', 0, 0, u32(spec.items.length), ...associations));
  let idatOffset = 0;
  const stored = spec.items.filter((item) => item.data);
  const iloc = fullBox(
    'iloc',
    1,
    0,
    u16(0x4400), // offset and length 4 bytes, no base offset, no index
    u16(stored.length),
    ...stored.map((item) => {
      const entry = Buffer.concat([u16(item.id), u16(1), u16(0), u16(1), u32(idatOffset), u32(item.data!.length)]);
      idatOffset += item.data!.length;
      return entry;
    }),
  );
  const idat = box('idat', ...stored.map((item) => item.data!));
  const meta = fullBox('meta', 0, 0, hdlr, pitm, iinf, iref, iprp, spec.iloc ?? iloc, idat);
  return Buffer.concat([ftyp, meta]);
}
