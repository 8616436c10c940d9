import { ConfigError, loadRedriveConfig, loadThumbnailConfig } from '../../src/config';

describe('loadThumbnailConfig', () => {
  it('applies the defaults', () => {
    const config = loadThumbnailConfig({ THUMBNAILS_BUCKET: 'thumbs' });
    expect(config.thumbnailsBucket).toBe('thumbs');
    expect(config.sizes.map((box) => box.label)).toEqual(['75x75', '125x125', '1280x720']);
    expect(config.jpegQuality).toBe(80);
  });

  it('reads sizes and quality from the environment', () => {
    const config = loadThumbnailConfig({ THUMBNAILS_BUCKET: 'thumbs', THUMBNAIL_SIZES: '10x20', JPEG_QUALITY: '65' });
    expect(config.sizes).toEqual([{ width: 10, height: 20, label: '10x20' }]);
    expect(config.jpegQuality).toBe(65);
  });

  it.each([
    [{}, 'THUMBNAILS_BUCKET must be set'],
    [{ THUMBNAILS_BUCKET: 't', THUMBNAIL_SIZES: 'big' }, 'THUMBNAIL_SIZES: "big" is not of the form WIDTHxHEIGHT'],
    [{ THUMBNAILS_BUCKET: 't', JPEG_QUALITY: '101' }, 'JPEG_QUALITY must be a whole number from 1 to 100, got "101"'],
  ])('names the variable that is wrong in %j', (env, message) => {
    expect(() => loadThumbnailConfig(env)).toThrow(ConfigError);
    expect(() => loadThumbnailConfig(env)).toThrow(message);
  });
});

describe('loadRedriveConfig', () => {
  it('needs both queue URLs', () => {
    expect(() => loadRedriveConfig({ IMAGES_QUEUE_URL: 'q' })).toThrow('DEAD_LETTER_QUEUE_URL must be set');
    expect(loadRedriveConfig({ IMAGES_QUEUE_URL: 'q', DEAD_LETTER_QUEUE_URL: 'd' })).toEqual({
      imagesQueueUrl: 'q',
      deadLetterQueueUrl: 'd',
      timeReserveMs: 10_000,
    });
  });
});
