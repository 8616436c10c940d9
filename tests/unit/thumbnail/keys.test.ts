import { checkThumbnailsStorable, thumbnailKey, thumbnailMetadata } from '../../../src/thumbnail/keys';

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

describe('thumbnailMetadata and checkThumbnailsStorable', () => {
  const boxes = [box];

  it('URL-encodes the source key into ASCII metadata', () => {
    expect(thumbnailMetadata('images', 'über 写真.jpg')).toEqual({
      'source-bucket': 'images',
      'source-key': '%C3%BCber%20%E5%86%99%E7%9C%9F.jpg',
    });
  });

  it("refuses a 240-character CJK key: 720 bytes of key, but over S3's 2 KB of metadata once URL-encoded", () => {
    const key = '写'.repeat(240);
    expect(Buffer.byteLength(key)).toBe(720);
    expect(() => checkThumbnailsStorable('images', key, boxes)).toThrow(
      expect.objectContaining({ code: 'metadata-too-large' }),
    );
    // 220 such characters still fit: 13 + 6 + 10 + 1980 = 2009 bytes.
    expect(() => checkThumbnailsStorable('images', '写'.repeat(220), boxes)).not.toThrow();
  });

  it('refuses a key too long for a thumbnail in any output format, the longest extension included', () => {
    // 1024 - '/125x125.webp'.length = 1011: fits as .jpg, not as .webp or .avif.
    expect(() => checkThumbnailsStorable('images', 'k'.repeat(1012), boxes)).toThrow(
      expect.objectContaining({ code: 'key-too-long' }),
    );
    expect(() => checkThumbnailsStorable('images', 'k'.repeat(1011), boxes)).not.toThrow();
  });
});
