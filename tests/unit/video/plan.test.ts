import { parseBoundingBoxes } from '../../../src/thumbnail/sizes';
import { planFrameTimes, planSprite, storyboardVtt, tilePosition, vttTimestamp } from '../../../src/video/plan';

const box = (spec: string) => parseBoundingBoxes(spec)[0]!;

describe('frame times', () => {
  it('takes the middle of each equal interval: never the first frame nor the last', () => {
    expect(planFrameTimes(16, 16)).toEqual(Array.from({ length: 16 }, (_, i) => i * 1000 + 500));
    expect(planFrameTimes(3, 4)).toEqual([375, 1125, 1875, 2625]);
  });

  it('spreads the frames of a long video over all of it', () => {
    const times = planFrameTimes(7200, 16);
    expect(times[0]).toBe(225_000);
    expect(times.at(-1)).toBe(6_975_000);
  });

  it('takes no time after the last frame starts, where there is no frame to show', () => {
    // 2 s at 10 fps: the last frame starts at 1.9 s, before the middle of the last of 16 intervals.
    expect(planFrameTimes(2, 16, 10).slice(-2)).toEqual([1813, 1900]);
    expect(planFrameTimes(2, 16).at(-1)).toBe(1938);
  });

  it('gives one frame, in the middle, when one is asked for', () => {
    expect(planFrameTimes(0.5, 1)).toEqual([250]);
  });
});

describe('sprite layout', () => {
  it('puts 16 tiles in a 4x4 grid, each the displayed frame fitted in the tile box', () => {
    const layout = planSprite(16, { width: 1920, height: 1080 }, box('160x90'));
    expect(layout).toEqual({ columns: 4, rows: 4, tile: { width: 160, height: 90 }, width: 640, height: 360 });
    expect(tilePosition(layout, 0)).toEqual({ x: 0, y: 0 });
    expect(tilePosition(layout, 5)).toEqual({ x: 160, y: 90 });
    expect(tilePosition(layout, 15)).toEqual({ x: 480, y: 270 });
  });

  it('uses as few rows as the frames need, and portrait tiles for a portrait video', () => {
    expect(planSprite(10, { width: 1080, height: 1920 }, box('160x90'))).toEqual({
      columns: 4,
      rows: 3,
      tile: { width: 51, height: 90 },
      width: 204,
      height: 270,
    });
  });
});

describe('WebVTT', () => {
  it('writes hh:mm:ss.ttt timestamps', () => {
    expect(vttTimestamp(0)).toBe('00:00:00.000');
    expect(vttTimestamp(3_723_004.4)).toBe('01:02:03.004');
  });

  it('maps each interval of the duration to its tile with a #xywh= fragment of the sprite', () => {
    const layout = planSprite(3, { width: 320, height: 240 }, box('40x40'));
    expect(storyboardVtt(1.5, layout, 3, 'storyboard.jpg')).toBe(
      'WEBVTT\n\n' +
        '00:00:00.000 --> 00:00:00.500\nstoryboard.jpg#xywh=0,0,40,30\n\n' +
        '00:00:00.500 --> 00:00:01.000\nstoryboard.jpg#xywh=40,0,40,30\n\n' +
        '00:00:01.000 --> 00:00:01.500\nstoryboard.jpg#xywh=0,30,40,30\n',
    );
  });
});
