import { fitInside, parseBoundingBoxes } from '../../../src/thumbnail/sizes';

describe('parseBoundingBoxes', () => {
  it('parses the default setting', () => {
    expect(parseBoundingBoxes('75x75,125x125,1280x720')).toEqual([
      { width: 75, height: 75, label: '75x75' },
      { width: 125, height: 125, label: '125x125' },
      { width: 1280, height: 720, label: '1280x720' },
    ]);
  });

  it('tolerates spaces, an upper-case X and a trailing comma', () => {
    expect(parseBoundingBoxes(' 100X50 , 20x20,').map((box) => box.label)).toEqual(['100x50', '20x20']);
  });

  it.each([
    ['', /at least one/],
    ['75', /WIDTHxHEIGHT/],
    ['75x', /WIDTHxHEIGHT/],
    ['-5x10', /WIDTHxHEIGHT/],
    ['0x10', /between 1 and/],
    ['20000x10', /between 1 and/],
    ['10x10,10x10', /listed twice/],
  ])('rejects %j', (spec, message) => {
    expect(() => parseBoundingBoxes(spec)).toThrow(message);
  });
});

describe('fitInside', () => {
  const box = (width: number, height: number) => ({ width, height, label: `${width}x${height}` });

  it('keeps the aspect ratio of a landscape image in a square box', () => {
    expect(fitInside({ width: 2268, height: 1512 }, box(125, 125))).toEqual({ width: 125, height: 83 });
  });

  it('keeps the aspect ratio of a portrait image in a wide box', () => {
    expect(fitInside({ width: 1000, height: 2000 }, box(1280, 720))).toEqual({ width: 360, height: 720 });
  });

  it('fills the box exactly when the aspect ratios match', () => {
    expect(fitInside({ width: 3840, height: 2160 }, box(1280, 720))).toEqual({ width: 1280, height: 720 });
  });

  it('never upscales an image already inside the box', () => {
    expect(fitInside({ width: 60, height: 40 }, box(125, 125))).toEqual({ width: 60, height: 40 });
  });

  it('never rounds a side down to zero', () => {
    expect(fitInside({ width: 10_000, height: 10 }, box(75, 75))).toEqual({ width: 75, height: 1 });
  });
});
