import type { RgbaBitmap } from '../../../src/images/types';
import { parseBoundingBoxes } from '../../../src/thumbnail/sizes';
import { drawTile, emptySprite, frameStats, looksLikePicture, posterChooser } from '../../../src/video/frames';
import { planSprite } from '../../../src/video/plan';

function solid(width: number, height: number, [r, g, b]: [number, number, number]): RgbaBitmap {
  const data = Buffer.alloc(width * height * 4);
  for (let i = 0; i < data.length; i += 4) data.set([r, g, b, 255], i);
  return { data, width, height };
}

function stripes(width: number, height: number): RgbaBitmap {
  const bitmap = solid(width, height, [0, 0, 0]);
  for (let i = 0; i < width * height; i += 1) if (i % 2 === 0) bitmap.data.set([200, 200, 200], i * 4);
  return bitmap;
}

describe('telling a picture from a black or faded frame', () => {
  it('measures mean luma and its spread', () => {
    expect(frameStats(solid(4, 4, [255, 255, 255]))).toEqual({ meanLuma: 255, lumaSpread: 0 });
    const striped = frameStats(stripes(4, 4));
    expect(striped.meanLuma).toBeCloseTo(100, 5);
    expect(striped.lumaSpread).toBeCloseTo(100, 5);
  });

  it('takes black, white and flat frames for no picture', () => {
    expect(looksLikePicture(frameStats(solid(4, 4, [0, 0, 0])))).toBe(false);
    expect(looksLikePicture(frameStats(solid(4, 4, [250, 250, 250])))).toBe(false);
    expect(looksLikePicture(frameStats(solid(4, 4, [120, 60, 30])))).toBe(false);
    expect(looksLikePicture(frameStats(stripes(4, 4)))).toBe(true);
  });

  it('chooses the first frame that looks like a picture, in time order', () => {
    const chooser = posterChooser<string>();
    chooser.offer({ meanLuma: 2, lumaSpread: 1 }, 'black');
    chooser.offer({ meanLuma: 90, lumaSpread: 40 }, 'picture');
    chooser.offer({ meanLuma: 100, lumaSpread: 80 }, 'later picture');
    expect(chooser.chosen()).toBe('picture');
  });

  it('falls back to the frame with the most contrast when none looks like a picture', () => {
    const chooser = posterChooser<string>();
    chooser.offer({ meanLuma: 2, lumaSpread: 1 }, 'black');
    chooser.offer({ meanLuma: 10, lumaSpread: 9 }, 'dark, some detail');
    chooser.offer({ meanLuma: 250, lumaSpread: 3 }, 'white');
    expect(chooser.chosen()).toBe('dark, some detail');
    expect(posterChooser<string>().chosen()).toBeUndefined();
  });
});

describe('drawing tiles into the sprite', () => {
  it('puts each tile in its cell and keeps the rest opaque black, cropping a tile larger than its cell', () => {
    const layout = planSprite(3, { width: 4, height: 2 }, parseBoundingBoxes('4x2')[0]!);
    const sprite = emptySprite(layout);
    expect(sprite).toMatchObject({ width: 8, height: 4 });
    drawTile(sprite, layout, 1, solid(4, 2, [255, 0, 0]));
    drawTile(sprite, layout, 2, solid(5, 3, [0, 0, 255]));
    const at = (x: number, y: number) => [...sprite.data.subarray((y * 8 + x) * 4, (y * 8 + x) * 4 + 4)];
    expect(at(0, 0)).toEqual([0, 0, 0, 255]);
    expect(at(4, 0)).toEqual([255, 0, 0, 255]);
    expect(at(7, 1)).toEqual([255, 0, 0, 255]);
    expect(at(3, 3)).toEqual([0, 0, 255, 255]);
    expect(at(4, 2)).toEqual([0, 0, 0, 255]);
  });
});
