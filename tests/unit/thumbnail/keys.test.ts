import { thumbnailKey } from '../../../src/thumbnail/keys';

const box = { width: 125, height: 125, label: '125x125' };

describe('thumbnailKey', () => {
  it('puts each size under the full source key', () => {
    expect(thumbnailKey('photos/cat.jpg', box, 'jpeg')).toBe('photos/cat.jpg/125x125.jpg');
    expect(thumbnailKey('logo.png', box, 'png')).toBe('logo.png/125x125.png');
  });

  it('never gives the same file name in two folders the same thumbnail', () => {
    expect(thumbnailKey('a/cat.jpg', box, 'jpeg')).not.toBe(thumbnailKey('b/cat.jpg', box, 'jpeg'));
  });

  it('keeps sources that differ only by extension or case apart', () => {
    const keys = ['cat.jpg', 'cat.JPG', 'cat.png'].map((key) => thumbnailKey(key, box, 'png'));
    expect(new Set(keys).size).toBe(3);
  });

  it('is deterministic, so reprocessing overwrites the same object', () => {
    expect(thumbnailKey('über 写真.jpg', box, 'jpeg')).toBe(thumbnailKey('über 写真.jpg', box, 'jpeg'));
  });

  it("refuses a key longer than S3's limit", () => {
    expect(() => thumbnailKey('k'.repeat(1020), box, 'jpeg')).toThrow(/1024-byte key limit/);
  });
});
