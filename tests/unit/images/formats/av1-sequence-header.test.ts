import { Av1HeaderError, readAv1SequenceHeader } from '../../../../src/images/formats/av1-sequence-header';

describe('readAv1SequenceHeader', () => {
  it('reads a reduced still-picture header without a colour description (BT.601 default, limited range)', () => {
    // seq_profile 0, still_picture 1, reduced 1, seq_level_idx 0, width/height bits 4, 15x15,
    // 128x128 sb 0, filter intra 1, edge filter 1, superres 0, cdef 1, restoration 1,
    // high_bitdepth 0, mono_chrome 0, color_description 0, color_range 0, separate_uv_delta_q 0.
    const fields: [number, number][] = [
      [0, 3],
      [1, 1],
      [1, 1],
      [0, 5],
      [3, 4],
      [3, 4],
      [14, 4],
      [14, 4],
      [0b011, 3],
      [0b011, 3],
      [0, 1],
      [0, 1],
      [0, 1],
      [0, 1],
      [0, 1],
    ];
    const bits = fields.flatMap(([value, width]) =>
      Array.from({ length: width }, (_, i) => (value >> (width - 1 - i)) & 1),
    );
    const payload = Buffer.alloc(Math.ceil(bits.length / 8));
    bits.forEach((bit, i) => (payload[i >> 3]! |= bit << (7 - (i & 7))));
    const obus = Buffer.concat([Buffer.from([0x12, 0x00]), Buffer.from([0x0a, payload.length]), payload]);
    expect(readAv1SequenceHeader(obus)).toMatchObject({
      profile: 0,
      maxWidth: 15,
      maxHeight: 15,
      colour: {
        bitDepth: 8,
        monochrome: false,
        matrixCoefficients: 2,
        fullRange: false,
        subsamplingX: 1,
        subsamplingY: 1,
      },
    });
    // Cut after the frame size: the size without the colour configuration.
    expect(readAv1SequenceHeader(obus.subarray(0, 8))).toEqual({ profile: 0, maxWidth: 15, maxHeight: 15 });
    // Cut before it: an error (isobmff.ts refuses such a file).
    expect(() => readAv1SequenceHeader(obus.subarray(0, 4))).toThrow(Av1HeaderError);
    // No sequence header OBU (a temporal delimiter alone).
    expect(readAv1SequenceHeader(Buffer.from([0x12, 0x00]))).toBeUndefined();
  });
});
