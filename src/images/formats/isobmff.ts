import { UnreadableImageError } from '../../errors';
import { Av1HeaderError, BitReader, readAv1SequenceHeader } from './av1-sequence-header';

/**
 * A small reader for the ISO base media file format boxes that HEIF (ISO/IEC 23008-12) images use:
 * AVIF and HEIC files are the same container around different codecs. It reads only what the decode
 * layer needs to know before decoding (the primary item, its size, depth, alpha, transforms, colour
 * profile, and a grid's tiles), bounds-checking every read so a hostile file fails here, in
 * microseconds, instead of inside a WebAssembly codec.
 */

type Format = 'avif' | 'heic';

/** Brands (ftyp) of HEVC-coded HEIF files; `mif1`/`msf1` alone say only "some HEIF codec". */
export const HEIC_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'hevm', 'hevs']);
export const AVIF_BRANDS = new Set(['avif', 'avis']);
const GENERIC_BRANDS = new Set(['mif1', 'msf1']);

/** Auxiliary types (auxC) that mark an item as the alpha plane of the image it refers to. */
const ALPHA_URNS = new Set(['urn:mpeg:mpegB:cicp:systems:auxiliary:alpha', 'urn:mpeg:hevc:2015:auxid:1']);

/** Item extents (iloc) a file may declare in all: far above any real file (a few per item). */
const MAX_EXTENTS = 100_000;

export class ContainerError extends Error {
  override readonly name = 'ContainerError';
}

interface Box {
  readonly type: string;
  /** First byte of the payload (after the size and type, and the large size if any). */
  readonly body: number;
  readonly end: number;
}

/** Bounds-checked big-endian reads within one box payload. */
class Reader {
  constructor(
    private readonly bytes: Buffer,
    public at: number,
    private readonly end: number,
  ) {}

  private need(count: number, what: string): void {
    if (this.at + count > this.end) throw new ContainerError(`${what} runs past the end of its box`);
  }

  u8(what: string): number {
    this.need(1, what);
    return this.bytes[this.at++]!;
  }

  u16(what: string): number {
    this.need(2, what);
    const value = this.bytes.readUInt16BE(this.at);
    this.at += 2;
    return value;
  }

  u32(what: string): number {
    this.need(4, what);
    const value = this.bytes.readUInt32BE(this.at);
    this.at += 4;
    return value;
  }

  /** An unsigned integer of 0, 4 or 8 bytes (iloc field sizes); above 2^53 is not a real offset. */
  uint(size: number, what: string): number {
    if (size === 0) return 0;
    if (size === 4) return this.u32(what);
    if (size === 8) {
      const high = this.u32(what);
      const low = this.u32(what);
      if (high >= 2 ** 21) throw new ContainerError(`${what} is beyond any file size`);
      return high * 2 ** 32 + low;
    }
    throw new ContainerError(`${what} has a field size of ${size} bytes`);
  }

  fourcc(what: string): string {
    this.need(4, what);
    const value = this.bytes.toString('latin1', this.at, this.at + 4);
    this.at += 4;
    return value;
  }

  /** A NUL-terminated string (auxC type); to the end of the box if unterminated. */
  cstring(): string {
    const nul = this.bytes.indexOf(0, this.at);
    const stop = nul === -1 || nul > this.end ? this.end : nul;
    const value = this.bytes.toString('utf8', this.at, stop);
    this.at = Math.min(stop + 1, this.end);
    return value;
  }

  /** FullBox header: version (8 bits) and flags (24 bits). */
  fullBox(what: string): { version: number; flags: number } {
    const word = this.u32(`${what} version`);
    return { version: word >>> 24, flags: word & 0xffffff };
  }
}

/** The boxes between `start` and `end`, each checked to lie within them. */
function* boxesIn(bytes: Buffer, start: number, end: number): Generator<Box> {
  let at = start;
  while (at < end) {
    if (at + 8 > end) throw new ContainerError(`a box header at byte ${at} runs past the end of its parent`);
    let size = bytes.readUInt32BE(at);
    const type = bytes.toString('latin1', at + 4, at + 8);
    let body = at + 8;
    if (size === 1) {
      const reader = new Reader(bytes, at + 8, end);
      size = reader.uint(8, `the large size of the ${type} box`);
      body = at + 16;
    } else if (size === 0) {
      size = end - at; // The box runs to the end of its parent (the file, at the top level).
    }
    if (size < body - at || at + size > end) {
      throw new ContainerError(`the ${type} box at byte ${at} declares ${size} bytes, past the end of its parent`);
    }
    yield { type, body, end: at + size };
    at += size;
  }
}

function childrenOf(bytes: Buffer, box: Box, skip = 0): Map<string, Box> {
  const children = new Map<string, Box>();
  for (const child of boxesIn(bytes, box.body + skip, box.end)) {
    if (!children.has(child.type)) children.set(child.type, child);
  }
  return children;
}

export interface FileType {
  readonly major: string;
  readonly compatible: readonly string[];
}

/** The ftyp box, which must come first; undefined if the file does not start with one. */
export function readFileType(bytes: Uint8Array): FileType | undefined {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length < 16 || buffer.toString('latin1', 4, 8) !== 'ftyp') return undefined;
  const size = buffer.readUInt32BE(0);
  if (size < 16 || size > buffer.length || size % 4 !== 0) return undefined;
  const compatible: string[] = [];
  for (let at = 16; at + 4 <= size; at += 4) compatible.push(buffer.toString('latin1', at, at + 4));
  return { major: buffer.toString('latin1', 8, 12), compatible };
}

/** One property of an item, as associated in ipma (order matters: transforms apply in it). */
interface Property {
  readonly type: string;
  readonly box: Box;
}

interface Location {
  readonly constructionMethod: number;
  readonly baseOffset: number;
  readonly extents: readonly { offset: number; length: number }[];
}

export interface HeifContainer {
  readonly fileType: FileType;
  readonly primaryId: number;
  /** Item type (four-character code) by item ID. */
  readonly itemTypes: ReadonlyMap<number, string>;
  readonly properties: ReadonlyMap<number, readonly Property[]>;
  /** References by type (dimg, auxl, thmb, cdsc, ...): from one item to others, in order. */
  readonly references: readonly { type: string; from: number; to: readonly number[] }[];
  readonly locations: ReadonlyMap<number, Location>;
  readonly idat?: Box;
}

function readItemInfo(bytes: Buffer, box: Box): Map<number, string> {
  const reader = new Reader(bytes, box.body, box.end);
  const { version } = reader.fullBox('iinf');
  reader.at += version === 0 ? 2 : 4; // entry count: the infe boxes themselves are what is read
  if (reader.at > box.end) throw new ContainerError('the iinf box is too short');
  const types = new Map<number, string>();
  for (const entry of boxesIn(bytes, reader.at, box.end)) {
    if (entry.type !== 'infe') continue;
    const infe = new Reader(bytes, entry.body, entry.end);
    const header = infe.fullBox('infe');
    if (header.version < 2) continue; // Versions 0 and 1 predate item types; no image uses them.
    const id = header.version === 2 ? infe.u16('infe item ID') : infe.u32('infe item ID');
    infe.u16('infe protection index');
    types.set(id, infe.fourcc('infe item type'));
  }
  return types;
}

function readProperties(bytes: Buffer, iprp: Box): Map<number, Property[]> {
  const children = childrenOf(bytes, iprp);
  const ipco = children.get('ipco');
  if (!ipco) throw new ContainerError('no ipco box (item properties)');
  const listed = [...boxesIn(bytes, ipco.body, ipco.end)];
  const byItem = new Map<number, Property[]>();
  // Several ipma boxes are allowed (one per version/flags combination).
  for (const ipma of boxesIn(bytes, iprp.body, iprp.end)) {
    if (ipma.type !== 'ipma') continue;
    const reader = new Reader(bytes, ipma.body, ipma.end);
    const { version, flags } = reader.fullBox('ipma');
    const entries = reader.u32('ipma entry count');
    for (let entry = 0; entry < entries; entry++) {
      const id = version < 1 ? reader.u16('ipma item ID') : reader.u32('ipma item ID');
      const associations = reader.u8('ipma association count');
      const properties = byItem.get(id) ?? [];
      for (let index = 0; index < associations; index++) {
        const value = flags & 1 ? reader.u16('ipma association') & 0x7fff : reader.u8('ipma association') & 0x7f;
        if (value === 0) continue; // 0: no property
        const box = listed[value - 1];
        if (!box) throw new ContainerError(`ipma refers to property ${value}; ipco holds ${listed.length}`);
        properties.push({ type: box.type, box });
      }
      byItem.set(id, properties);
    }
  }
  return byItem;
}

function readReferences(bytes: Buffer, box: Box): HeifContainer['references'] {
  const reader = new Reader(bytes, box.body, box.end);
  const { version } = reader.fullBox('iref');
  const references: { type: string; from: number; to: number[] }[] = [];
  for (const child of boxesIn(bytes, reader.at, box.end)) {
    const entry = new Reader(bytes, child.body, child.end);
    const id = (what: string) => (version === 0 ? entry.u16(what) : entry.u32(what));
    const from = id('iref from-item ID');
    const count = entry.u16('iref reference count');
    const to: number[] = [];
    for (let index = 0; index < count; index++) to.push(id('iref to-item ID'));
    references.push({ type: child.type, from, to });
  }
  return references;
}

function readLocations(bytes: Buffer, box: Box): Map<number, Location> {
  const reader = new Reader(bytes, box.body, box.end);
  const { version } = reader.fullBox('iloc');
  const sizes = reader.u16('iloc field sizes');
  const offsetSize = sizes >> 12;
  const lengthSize = (sizes >> 8) & 0xf;
  const baseOffsetSize = (sizes >> 4) & 0xf;
  const indexSize = version === 1 || version === 2 ? sizes & 0xf : 0;
  const count = version < 2 ? reader.u16('iloc item count') : reader.u32('iloc item count');
  const locations = new Map<number, Location>();
  // Extents of zero-byte fields cost nothing to declare: 65,535 per item, item after item. Real files
  // have one per item, or a few dozen for a fragmented one.
  let extentsLeft = MAX_EXTENTS;
  for (let item = 0; item < count; item++) {
    const id = version < 2 ? reader.u16('iloc item ID') : reader.u32('iloc item ID');
    const constructionMethod = version === 1 || version === 2 ? reader.u16('iloc construction method') & 0xf : 0;
    reader.u16('iloc data reference index');
    const baseOffset = reader.uint(baseOffsetSize, 'iloc base offset');
    const extentCount = reader.u16('iloc extent count');
    extentsLeft -= extentCount;
    if (extentsLeft < 0) throw new ContainerError(`iloc declares more than ${MAX_EXTENTS} extents`);
    const extents: { offset: number; length: number }[] = [];
    for (let extent = 0; extent < extentCount; extent++) {
      reader.uint(indexSize, 'iloc extent index');
      const offset = reader.uint(offsetSize, 'iloc extent offset');
      extents.push({ offset, length: reader.uint(lengthSize, 'iloc extent length') });
    }
    locations.set(id, { constructionMethod, baseOffset, extents });
  }
  return locations;
}

function parse(bytes: Buffer): HeifContainer {
  const fileType = readFileType(bytes);
  if (!fileType) throw new ContainerError('no ftyp box at the start');
  let meta: Box | undefined;
  for (const box of boxesIn(bytes, 0, bytes.length)) {
    if (box.type === 'meta') {
      meta = box;
      break;
    }
  }
  if (!meta) throw new ContainerError('no meta box (an image sequence without a still image is not supported)');
  const children = childrenOf(bytes, meta, 4); // meta is a FullBox
  const pitm = children.get('pitm');
  if (!pitm) throw new ContainerError('no pitm box (primary item)');
  const pitmReader = new Reader(bytes, pitm.body, pitm.end);
  const primaryId = pitmReader.fullBox('pitm').version === 0 ? pitmReader.u16('pitm') : pitmReader.u32('pitm');
  const iinf = children.get('iinf');
  if (!iinf) throw new ContainerError('no iinf box (item information)');
  const iprp = children.get('iprp');
  if (!iprp) throw new ContainerError('no iprp box (item properties)');
  const iref = children.get('iref');
  const iloc = children.get('iloc');
  const idat = children.get('idat');
  return {
    fileType,
    primaryId,
    itemTypes: readItemInfo(bytes, iinf),
    properties: readProperties(bytes, iprp),
    references: iref ? readReferences(bytes, iref) : [],
    locations: iloc ? readLocations(bytes, iloc) : new Map(),
    ...(idat ? { idat } : {}),
  };
}

const parsed = new WeakMap<Buffer, HeifContainer | ContainerError>();

/** The container of `bytes`, parsed once per buffer (sniff, inspect and decode all ask). */
export function readContainer(bytes: Buffer): HeifContainer {
  let result = parsed.get(bytes);
  if (!result) {
    try {
      result = parse(bytes);
    } catch (error) {
      if (!(error instanceof ContainerError) && !(error instanceof RangeError)) throw error;
      result = error instanceof ContainerError ? error : new ContainerError(error.message);
    }
    parsed.set(bytes, result);
  }
  if (result instanceof ContainerError) throw result;
  return result;
}

/**
 * Which codec family a HEIF file holds, by its brands, and where they are ambiguous (`mif1` alone, or
 * both families listed) by the type of its primary item: av01 is AVIF, hvc1/hev1 is HEIC.
 */
export function heifFamily(bytes: Uint8Array): Format | undefined {
  const fileType = readFileType(bytes);
  if (!fileType) return undefined;
  const brands = [fileType.major, ...fileType.compatible];
  const avif = brands.some((brand) => AVIF_BRANDS.has(brand));
  const heic = brands.some((brand) => HEIC_BRANDS.has(brand));
  if (avif !== heic) return avif ? 'avif' : 'heic';
  if (!avif && !brands.some((brand) => GENERIC_BRANDS.has(brand))) return undefined;
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    const container = readContainer(buffer);
    const type = codedTypeOf(container, container.primaryId);
    if (type === 'av01') return 'avif';
    if (type !== undefined) return 'heic';
  } catch (error) {
    if (!(error instanceof ContainerError)) throw error;
  }
  // Unreadable: decide by the major brand, and let that format's inspect say what is wrong.
  return AVIF_BRANDS.has(fileType.major) ? 'avif' : 'heic';
}

/** The coded type of an item: its own, or for a grid or identity item that of its first input. */
function codedTypeOf(container: HeifContainer, id: number, depth = 0): string | undefined {
  const type = container.itemTypes.get(id);
  if ((type === 'grid' || type === 'iden') && depth < 2) {
    const first = container.references.find((ref) => ref.type === 'dimg' && ref.from === id)?.to[0];
    return first === undefined ? undefined : codedTypeOf(container, first, depth + 1);
  }
  return type;
}

/** The bytes of an item (for a grid: its layout), joined from its extents, at most `limit` bytes. */
export function itemData(bytes: Buffer, container: HeifContainer, id: number, limit: number): Buffer {
  const location = container.locations.get(id);
  if (!location) throw new ContainerError(`item ${id} has no location (iloc)`);
  let source: Buffer;
  if (location.constructionMethod === 0) source = bytes;
  else if (location.constructionMethod === 1 && container.idat) {
    source = bytes.subarray(container.idat.body, container.idat.end);
  } else throw new ContainerError(`item ${id} uses construction method ${location.constructionMethod}`);
  const parts: Buffer[] = [];
  let total = 0;
  for (const { offset, length } of location.extents) {
    const start = location.baseOffset + offset;
    // Length 0: the extent runs to the end of the source.
    const end = length === 0 ? source.length : start + length;
    if (end > source.length) throw new ContainerError(`item ${id} lies past the end of the file`);
    total += end - start;
    if (total > limit) throw new ContainerError(`item ${id} is ${total} bytes, more than its kind ever needs`);
    parts.push(source.subarray(start, end));
  }
  // One extent (the usual case): a view of the file, not a copy.
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

function propertiesOf(container: HeifContainer, id: number): readonly Property[] {
  return container.properties.get(id) ?? [];
}

function findProperty(container: HeifContainer, id: number, type: string): Box | undefined {
  return propertiesOf(container, id).find((property) => property.type === type)?.box;
}

function spatialExtent(bytes: Buffer, container: HeifContainer, id: number): { width: number; height: number } {
  const ispe = findProperty(container, id, 'ispe');
  if (!ispe) throw new ContainerError(`item ${id} has no ispe property (image size)`);
  const reader = new Reader(bytes, ispe.body, ispe.end);
  reader.fullBox('ispe');
  const width = reader.u32('ispe width');
  const height = reader.u32('ispe height');
  if (width === 0 || height === 0) throw new ContainerError(`item ${id} declares a size of ${width}x${height}`);
  return { width, height };
}

/** Bits per channel (pixi), the highest if channels differ; 8 when the item declares none. */
function bitDepthOf(bytes: Buffer, container: HeifContainer, id: number): number | undefined {
  const pixi = findProperty(container, id, 'pixi');
  if (!pixi) return undefined;
  const reader = new Reader(bytes, pixi.body, pixi.end);
  reader.fullBox('pixi');
  const channels = reader.u8('pixi channel count');
  let depth = 0;
  for (let channel = 0; channel < channels; channel++) depth = Math.max(depth, reader.u8('pixi bits per channel'));
  return depth || undefined;
}

function channelCountOf(bytes: Buffer, container: HeifContainer, id: number): number | undefined {
  const pixi = findProperty(container, id, 'pixi');
  if (!pixi) return undefined;
  const reader = new Reader(bytes, pixi.body, pixi.end);
  reader.fullBox('pixi');
  return reader.u8('pixi channel count') || undefined;
}

/** The ICC profile of a colr box of type `prof` or `rICC`, if the item has one. */
function iccProfileOf(bytes: Buffer, container: HeifContainer, id: number): Uint8Array | undefined {
  for (const property of propertiesOf(container, id)) {
    if (property.type !== 'colr') continue;
    const reader = new Reader(bytes, property.box.body, property.box.end);
    const kind = reader.fourcc('colr type');
    if (kind === 'prof' || kind === 'rICC') return new Uint8Array(bytes.subarray(reader.at, property.box.end));
  }
  return undefined;
}

/** Rotation clockwise, then a left-right mirror if `mirrored`: the EXIF orientation each makes. */
const EXIF_ORIENTATION: Record<string, number> = {
  '0,false': 1,
  '0,true': 2,
  '180,false': 3,
  '180,true': 4,
  '90,true': 5,
  '90,false': 6,
  '270,true': 7,
  '270,false': 8,
};

/**
 * The item's irot and imir properties, applied in their ipma order, as the equivalent EXIF orientation
 * (what a decoder that ignores them leaves to do). A transform is kept as "rotate clockwise by r, then
 * mirror left-right if m"; rotating after a mirror equals mirroring after rotating the other way.
 */
function orientationOf(bytes: Buffer, container: HeifContainer, id: number): number {
  let rotation = 0;
  let mirrored = false;
  const rotate = (clockwise: number) => {
    rotation = (rotation + (mirrored ? -clockwise : clockwise) + 360) % 360;
  };
  for (const property of propertiesOf(container, id)) {
    const reader = new Reader(bytes, property.box.body, property.box.end);
    if (property.type === 'irot') {
      // Anticlockwise, in quarter turns.
      rotate((360 - (reader.u8('irot angle') & 3) * 90) % 360);
    } else if (property.type === 'imir') {
      // ISO/IEC 23008-12:2022 (and libheif, libavif, browsers): axis 0 exchanges top and bottom, which
      // is a half turn followed by a left-right mirror; axis 1 exchanges left and right.
      if ((reader.u8('imir axis') & 1) === 0) rotate(180);
      mirrored = !mirrored;
    }
  }
  return EXIF_ORIENTATION[`${rotation},${mirrored}`]!;
}

function auxiliaryType(bytes: Buffer, container: HeifContainer, id: number): string | undefined {
  const auxC = findProperty(container, id, 'auxC');
  if (!auxC) return undefined;
  const reader = new Reader(bytes, auxC.body, auxC.end);
  reader.fullBox('auxC');
  return reader.cstring();
}

/** A grid item's layout (ISO/IEC 23008-12 6.6.2.3.2). */
function gridLayout(bytes: Buffer, container: HeifContainer, id: number) {
  const data = itemData(bytes, container, id, 64);
  const reader = new Reader(data, 0, data.length);
  reader.u8('grid version');
  const flags = reader.u8('grid flags');
  const rows = reader.u8('grid rows') + 1;
  const columns = reader.u8('grid columns') + 1;
  const size = (what: string) => (flags & 1 ? reader.u32(what) : reader.u16(what));
  const width = size('grid output width');
  const height = size('grid output height');
  if (width === 0 || height === 0) throw new ContainerError(`the grid declares an output of ${width}x${height}`);
  return { rows, columns, width, height };
}

/** The image an item makes: one coded image, or a grid of coded tiles. */
interface ImageLayout {
  readonly width: number;
  readonly height: number;
  /** The first coded item (the tile, for a grid), which carries depth and channels if the grid does not. */
  readonly codedId: number;
  readonly codedType: string;
  /** Pixels the codec decodes: for a grid, every tile whole, including what is cropped off at the edges. */
  readonly codedPixels: number;
  readonly tiles: number;
}

/** The first bytes of an item's data (its first extent), without reading the rest. */
function itemPrefix(bytes: Buffer, container: HeifContainer, id: number, length: number): Buffer | undefined {
  const location = container.locations.get(id);
  const extent = location?.extents[0];
  if (!location || !extent) return undefined;
  const source =
    location.constructionMethod === 0
      ? bytes
      : location.constructionMethod === 1 && container.idat
        ? bytes.subarray(container.idat.body, container.idat.end)
        : undefined;
  const start = location.baseOffset + extent.offset;
  if (!source || start >= source.length) return undefined;
  return source.subarray(start, start + Math.min(length, extent.length || length));
}

/** The largest frame the first sequence header among these OBUs allows. */
function sequenceHeaderFrameSize(obus: Buffer): { width: number; height: number } | undefined {
  let header;
  try {
    header = readAv1SequenceHeader(obus);
  } catch (error) {
    if (error instanceof Av1HeaderError) throw new ContainerError(error.message);
    throw error;
  }
  return header && { width: header.maxWidth, height: header.maxHeight };
}

/**
 * The largest frame an av01 item's AV1 sequence header allows: what the decoder may allocate, whatever
 * ispe says. From av1C's configuration OBUs if it has them, else from the item's own first OBUs (where
 * libavif writes it). Undefined if there is none to read.
 */
function av1MaxFrameSize(bytes: Buffer, container: HeifContainer, id: number) {
  const av1C = findProperty(container, id, 'av1C');
  const configObus = av1C && av1C.end - av1C.body > 4 ? bytes.subarray(av1C.body + 4, av1C.end) : undefined;
  const fromConfig = configObus && sequenceHeaderFrameSize(configObus);
  if (fromConfig) return fromConfig;
  const prefix = itemPrefix(bytes, container, id, 256);
  return prefix && sequenceHeaderFrameSize(prefix);
}

/** Luma size an HEVC sequence parameter set declares (H.265 7.3.2.2), from its NAL unit. */
function spsPictureSize(nal: Buffer): { width: number; height: number } {
  // Emulation prevention: 00 00 03 stands for 00 00 in the payload.
  const payload: number[] = [];
  for (let i = 2; i < nal.length; i++) {
    if (nal[i] === 3 && payload.length >= 2 && payload.at(-1) === 0 && payload.at(-2) === 0) continue;
    payload.push(nal[i]!);
  }
  const bits = new BitReader(Buffer.from(payload), () => new ContainerError('the HEVC parameter set ends early'));
  bits.f(4); // sps_video_parameter_set_id
  const subLayers = bits.f(3); // sps_max_sub_layers_minus1
  bits.f(1);
  // profile_tier_level: general profile (88 bits) and level (8), then per sub-layer flags and fields.
  bits.f(32);
  bits.f(32);
  bits.f(24);
  bits.f(8);
  const flags: [number, number][] = [];
  for (let i = 0; i < subLayers; i++) flags.push([bits.f(1), bits.f(1)]);
  if (subLayers > 0) for (let i = subLayers; i < 8; i++) bits.f(2);
  for (const [profile, level] of flags) {
    if (profile) {
      bits.f(32);
      bits.f(32);
      bits.f(24);
    }
    if (level) bits.f(8);
  }
  bits.uvlc(); // sps_seq_parameter_set_id
  if (bits.uvlc() === 3) bits.f(1); // chroma_format_idc 4:4:4: separate_colour_plane_flag
  return { width: bits.uvlc(), height: bits.uvlc() };
}

/** The picture size of the SPS in an HEVC item's hvcC property, if it has one. */
function hevcPictureSize(bytes: Buffer, container: HeifContainer, id: number) {
  const hvcC = findProperty(container, id, 'hvcC');
  if (!hvcC) return undefined;
  const reader = new Reader(bytes, hvcC.body + 22, hvcC.end);
  const arrays = reader.u8('hvcC array count');
  for (let array = 0; array < arrays; array++) {
    const type = reader.u8('hvcC NAL unit type') & 0x3f;
    const count = reader.u16('hvcC NAL unit count');
    for (let unit = 0; unit < count; unit++) {
      const length = reader.u16('hvcC NAL unit length');
      if (reader.at + length > hvcC.end) throw new ContainerError('an hvcC NAL unit runs past its box');
      const nal = bytes.subarray(reader.at, reader.at + length);
      reader.at += length;
      if (type === 33) return spsPictureSize(nal);
    }
  }
  return undefined;
}

/**
 * Pixels the codec may decode for one coded item: its ispe, or more if its AV1 sequence header or HEVC
 * SPS declares larger frames (a file whose ispe understates its bitstream would otherwise pass the
 * budget and then make the decoder allocate what the bitstream says).
 */
function codedPixelsOf(bytes: Buffer, container: HeifContainer, id: number, width: number, height: number): number {
  const type = container.itemTypes.get(id);
  let sequence;
  try {
    if (type === 'av01') sequence = av1MaxFrameSize(bytes, container, id);
    else if (type === 'hvc1' || type === 'hev1') sequence = hevcPictureSize(bytes, container, id);
  } catch (error) {
    if (!(error instanceof ContainerError)) throw error;
    // An unreadable sequence header is the decoder's to refuse; ispe stands.
  }
  return Math.max(width * height, sequence ? sequence.width * sequence.height : 0);
}

function layoutOf(bytes: Buffer, container: HeifContainer, id: number, what: string): ImageLayout {
  const type = container.itemTypes.get(id);
  if (type === undefined) throw new ContainerError(`the ${what} item ${id} is not described (iinf)`);
  if (type !== 'grid') {
    const { width, height } = spatialExtent(bytes, container, id);
    const codedPixels = codedPixelsOf(bytes, container, id, width, height);
    return { width, height, codedId: id, codedType: type, codedPixels, tiles: 1 };
  }
  const grid = gridLayout(bytes, container, id);
  const tiles = container.references.find((ref) => ref.type === 'dimg' && ref.from === id)?.to ?? [];
  if (tiles.length !== grid.rows * grid.columns) {
    throw new ContainerError(`the ${grid.rows}x${grid.columns} grid refers to ${tiles.length} tiles`);
  }
  const first = tiles[0]!;
  const tile = spatialExtent(bytes, container, first);
  const codedType = container.itemTypes.get(first) ?? 'unknown';
  for (const other of tiles) {
    const extent = spatialExtent(bytes, container, other);
    if (extent.width !== tile.width || extent.height !== tile.height || container.itemTypes.get(other) !== codedType) {
      throw new ContainerError('the grid tiles differ in size or type');
    }
  }
  // Tiles cover the output, and overhang it by less than one tile (ISO/IEC 23008-12): a grid of a few
  // huge tiles declaring a small output would otherwise decode far more than it shows.
  const fits = (count: number, size: number, output: number) => count * size >= output && (count - 1) * size < output;
  if (!fits(grid.columns, tile.width, grid.width) || !fits(grid.rows, tile.height, grid.height)) {
    throw new ContainerError(
      `the grid's ${grid.columns}x${grid.rows} tiles of ${tile.width}x${tile.height} do not fit its ${grid.width}x${grid.height} output`,
    );
  }
  return {
    width: grid.width,
    height: grid.height,
    codedId: first,
    codedType,
    // Tiles share one av1C in practice; each is checked in case they do not.
    codedPixels: tiles.reduce((sum, other) => sum + codedPixelsOf(bytes, container, other, tile.width, tile.height), 0),
    tiles: tiles.length,
  };
}

/** What a HEIF file declares about its primary image, read from the container alone. */
export interface HeifImageDescription {
  /** The primary image's stored size (the grid's output size for a grid), before irot/imir. */
  readonly width: number;
  readonly height: number;
  readonly bitDepth: number;
  /** Colour channels as coded: 3, or 1 for a monochrome image. */
  readonly colourChannels: number;
  readonly hasAlpha: boolean;
  /** Pixels the codec decodes: the colour image's (every tile whole) plus the alpha image's. */
  readonly codedPixels: number;
  readonly alphaPixels: number;
  /** The coded item type (av01, hvc1, ...) of the primary image or its tiles. */
  readonly codedType: string;
  readonly tiles: number;
  /** irot/imir as the equivalent EXIF orientation (1: none). */
  readonly orientation: number;
  readonly iccProfile?: Uint8Array;
}

/**
 * Reads what the primary image of a HEIF file declares. Throws UnreadableImageError (corrupt-image)
 * for a container that cannot be read or a grid whose tiles do not fit its output.
 */
export function describePrimaryImage(bytes: Buffer, format: Format): HeifImageDescription {
  try {
    const container = readContainer(bytes);
    const id = container.primaryId;
    const layout = layoutOf(bytes, container, id, 'primary');
    const alphaId = container.references.find(
      (ref) =>
        ref.type === 'auxl' && ref.to.includes(id) && ALPHA_URNS.has(auxiliaryType(bytes, container, ref.from) ?? ''),
    )?.from;
    let alphaPixels = 0;
    if (alphaId !== undefined) {
      const alpha = layoutOf(bytes, container, alphaId, 'alpha');
      if (alpha.width > layout.width || alpha.height > layout.height) {
        throw new ContainerError(
          `the alpha image (${alpha.width}x${alpha.height}) is larger than the image (${layout.width}x${layout.height})`,
        );
      }
      alphaPixels = alpha.codedPixels;
    }
    const bitDepth = bitDepthOf(bytes, container, id) ?? bitDepthOf(bytes, container, layout.codedId) ?? 8;
    if (bitDepth > 16) throw new ContainerError(`the image declares ${bitDepth} bits per channel`);
    const iccProfile = iccProfileOf(bytes, container, id) ?? iccProfileOf(bytes, container, layout.codedId);
    return {
      width: layout.width,
      height: layout.height,
      bitDepth,
      colourChannels:
        (channelCountOf(bytes, container, id) ?? channelCountOf(bytes, container, layout.codedId)) === 1 ? 1 : 3,
      hasAlpha: alphaId !== undefined,
      codedPixels: layout.codedPixels,
      alphaPixels,
      codedType: layout.codedType,
      tiles: layout.tiles,
      orientation: orientationOf(bytes, container, id),
      ...(iccProfile ? { iccProfile } : {}),
    };
  } catch (error) {
    if (error instanceof ContainerError) {
      throw new UnreadableImageError('corrupt-image', `the ${format} container cannot be read: ${error.message}`);
    }
    throw error;
  }
}
