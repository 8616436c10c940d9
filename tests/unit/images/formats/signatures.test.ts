import { FORMATS } from '../../../../src/images/formats/registry';
import { hasImageSignature, SIGNATURES } from '../../../../src/images/formats/signatures';

describe('image signatures', () => {
  // The function's thread decides "image, not video" with hasImageSignature alone: a format the decode
  // layer reads whose signature were not there would be sent to the videos queue.
  it.each(FORMATS.map((format) => [format.name, format] as const))(
    'are how the %s format recognises its files',
    (name, format) => {
      expect(format.sniff).toBe(SIGNATURES[name as keyof typeof SIGNATURES]);
    },
  );

  it.each([
    ['jpeg', [0xff, 0xd8, 0xff, 0xe0]],
    ['png', [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]],
    ['webp', [...Buffer.from('RIFF'), 0, 0, 0, 0, ...Buffer.from('WEBP')]],
    ['gif', [...Buffer.from('GIF89a')]],
    ['bmp', [...Buffer.from('BM')]],
    ['tiff', [0x49, 0x49, 42, 0]],
    ['avif', [0, 0, 0, 16, ...Buffer.from('ftypavif'), 0, 0, 0, 0]],
    ['heic', [0, 0, 0, 16, ...Buffer.from('ftypheic'), 0, 0, 0, 0]],
  ])('tell a %s file from its first bytes', (name, bytes) => {
    const head = Buffer.from(bytes);
    expect(hasImageSignature(head)).toBe(true);
    expect(
      Object.entries(SIGNATURES)
        .filter(([, sniff]) => sniff(head))
        .map(([format]) => format),
    ).toEqual([name]);
  });

  it.each([
    ['an MP4', [0, 0, 0, 20, ...Buffer.from('ftypisom'), 0, 0, 2, 0, ...Buffer.from('isom')]],
    ['a WebM', [0x1a, 0x45, 0xdf, 0xa3]],
    ['text', [...Buffer.from('hello, world')]],
    ['nothing', []],
  ])('claim no format for %s', (_, bytes) => {
    expect(hasImageSignature(Buffer.from(bytes))).toBe(false);
  });
});
