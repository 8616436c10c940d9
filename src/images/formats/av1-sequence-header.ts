/**
 * An AV1 sequence header (AV1 specification 5.5), read from the OBUs an AVIF item or its av1C property
 * holds: the largest frame it allows (what a decoder may allocate, whatever the container declares;
 * isobmff.ts) and its colour configuration (which AVIFs the dav1d path converts; avif-dav1d.ts).
 */

/** Bits, most significant first, from a buffer; `at` is the position in bits. */
export class BitReader {
  at = 0;

  constructor(
    private readonly data: Uint8Array,
    /** What to throw when a read runs past the end. */
    private readonly endedEarly: () => Error = () => new RangeError('the bitstream ends early'),
  ) {}

  /** `count` bits (at most 32) as an unsigned number. */
  f(count: number): number {
    let value = 0;
    for (let i = 0; i < count; i++) {
      const byte = this.data[this.at >> 3];
      if (byte === undefined) throw this.endedEarly();
      value = value * 2 + ((byte >> (7 - (this.at & 7))) & 1);
      this.at++;
    }
    return value;
  }

  /** Exp-Golomb (AV1 uvlc). */
  uvlc(): number {
    let zeros = 0;
    while (this.f(1) === 0) if (++zeros >= 32) return 2 ** 32 - 1;
    return this.f(zeros) + 2 ** zeros - 1;
  }
}

/** The header ends before the largest frame size. */
export class Av1HeaderError extends Error {
  override readonly name = 'Av1HeaderError';
}

/** The colour configuration of a sequence header (5.5.2). */
export interface Av1ColourConfig {
  readonly bitDepth: number;
  readonly monochrome: boolean;
  readonly subsamplingX: number;
  readonly subsamplingY: number;
  readonly matrixCoefficients: number;
  readonly fullRange: boolean;
  /** Bit positions, from the start of the OBUs read, of color_range and matrix_coefficients (for tests). */
  readonly rangeBit?: number;
  readonly matrixBit?: number;
}

export interface Av1SequenceHeader {
  readonly profile: number;
  /** The largest frame the stream may code. */
  readonly maxWidth: number;
  readonly maxHeight: number;
  /** Undefined if the header ends before its colour configuration does. */
  readonly colour?: Av1ColourConfig;
}

/**
 * The payload of the first sequence header OBU (type 1) in `obus` (low-overhead format, as AVIF items and
 * av1C hold them), as the OBUs up to its end and the bit its payload starts at; undefined if there is none.
 */
function sequenceHeaderObu(obus: Uint8Array): { data: Uint8Array; start: number } | undefined {
  let at = 0;
  while (at < obus.length) {
    const header = obus[at]!;
    const type = (header >> 3) & 0xf;
    at += header & 0x04 ? 2 : 1; // extension byte
    let size = obus.length - at;
    if (header & 0x02) {
      // obu_size, leb128
      size = 0;
      for (let i = 0; i < 8; i++) {
        const byte = obus[at++];
        if (byte === undefined) return undefined;
        size += (byte & 0x7f) * 2 ** (7 * i);
        if (!(byte & 0x80)) break;
      }
    }
    if (type === 1) return { data: obus.subarray(0, Math.min(obus.length, at + size)), start: at * 8 };
    at += size;
  }
  return undefined;
}

/** From high_bitdepth on (5.5.2); the reader is at color_config. */
function readColourConfig(bits: BitReader, profile: number): Av1ColourConfig {
  const highBitDepth = bits.f(1);
  const bitDepth = profile === 2 && highBitDepth ? (bits.f(1) ? 12 : 10) : highBitDepth ? 10 : 8;
  const monochrome = profile === 1 ? false : bits.f(1) === 1;
  let primaries = 2;
  let transfer = 2;
  let matrixCoefficients = 2;
  let matrixBit: number | undefined;
  if (bits.f(1)) {
    primaries = bits.f(8);
    transfer = bits.f(8);
    matrixBit = bits.at;
    matrixCoefficients = bits.f(8);
  }
  const common = { bitDepth, monochrome, matrixCoefficients, ...(matrixBit === undefined ? {} : { matrixBit }) };
  if (monochrome) {
    const rangeBit = bits.at;
    return { ...common, fullRange: bits.f(1) === 1, rangeBit, subsamplingX: 1, subsamplingY: 1 };
  }
  if (primaries === 1 && transfer === 13 && matrixCoefficients === 0) {
    return { ...common, fullRange: true, subsamplingX: 0, subsamplingY: 0 }; // sRGB, 4:4:4
  }
  const rangeBit = bits.at;
  const fullRange = bits.f(1) === 1;
  let subsamplingX = 1;
  let subsamplingY = 1;
  if (profile === 1) {
    subsamplingX = subsamplingY = 0;
  } else if (profile === 2) {
    if (bitDepth === 12) {
      subsamplingX = bits.f(1);
      subsamplingY = subsamplingX ? bits.f(1) : 0;
    } else {
      subsamplingY = 0;
    }
  }
  return { ...common, fullRange, rangeBit, subsamplingX, subsamplingY };
}

/**
 * The first sequence header in `obus`; undefined if there is none. Throws Av1HeaderError if it ends
 * before the largest frame size; its colour configuration is left out if it ends before that.
 */
export function readAv1SequenceHeader(obus: Uint8Array): Av1SequenceHeader | undefined {
  const found = sequenceHeaderObu(obus);
  if (!found) return undefined;
  const bits = new BitReader(found.data, () => new Av1HeaderError('the AV1 sequence header ends early'));
  bits.at = found.start;
  const profile = bits.f(3);
  bits.f(1); // still_picture
  const reduced = bits.f(1);
  if (reduced) {
    bits.f(5); // seq_level_idx[0]
  } else {
    let decoderModelInfo = 0;
    let bufferDelayLength = 0;
    if (bits.f(1)) {
      // timing_info
      bits.f(32);
      bits.f(32);
      if (bits.f(1)) bits.uvlc();
      decoderModelInfo = bits.f(1);
      if (decoderModelInfo) {
        bufferDelayLength = bits.f(5) + 1;
        bits.f(32);
        bits.f(5);
        bits.f(5);
      }
    }
    const initialDisplayDelay = bits.f(1);
    const operatingPoints = bits.f(5) + 1;
    for (let point = 0; point < operatingPoints; point++) {
      bits.f(12); // operating_point_idc
      if (bits.f(5) > 7) bits.f(1); // seq_level_idx, seq_tier
      if (decoderModelInfo && bits.f(1)) {
        bits.f(bufferDelayLength);
        bits.f(bufferDelayLength);
        bits.f(1);
      }
      if (initialDisplayDelay && bits.f(1)) bits.f(4);
    }
  }
  const widthBits = bits.f(4) + 1;
  const heightBits = bits.f(4) + 1;
  const size = { profile, maxWidth: bits.f(widthBits) + 1, maxHeight: bits.f(heightBits) + 1 };
  try {
    if (!reduced && bits.f(1)) {
      // frame_id_numbers_present_flag: delta_frame_id_length_minus_2, additional_frame_id_length_minus_1
      bits.f(4);
      bits.f(3);
    }
    bits.f(3); // use_128x128_superblock, enable_filter_intra, enable_intra_edge_filter
    if (!reduced) {
      bits.f(4); // enable_interintra_compound, enable_masked_compound, enable_warped_motion, enable_dual_filter
      const orderHint = bits.f(1);
      if (orderHint) bits.f(2); // enable_jnt_comp, enable_ref_frame_mvs
      const forceScreenContentTools = bits.f(1) ? 2 : bits.f(1); // seq_choose_screen_content_tools
      if (forceScreenContentTools > 0 && !bits.f(1)) bits.f(1); // seq_choose_integer_mv, seq_force_integer_mv
      if (orderHint) bits.f(3); // order_hint_bits_minus_1
    }
    bits.f(3); // enable_superres, enable_cdef, enable_restoration
    return { ...size, colour: readColourConfig(bits, profile) };
  } catch (error) {
    if (error instanceof Av1HeaderError) return size;
    throw error;
  }
}
