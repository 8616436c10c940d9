import { ConfigError, loadNotifyConfig, loadRedriveConfig, loadThumbnailConfig } from '../../src/config';

const queues = { IMAGES_QUEUE_URL: 'q', DEAD_LETTER_QUEUE_URL: 'd' };

describe('loadThumbnailConfig', () => {
  it('applies the defaults', () => {
    const config = loadThumbnailConfig({ THUMBNAILS_BUCKET: 'thumbs', ...queues });
    expect(config.thumbnailsBucket).toBe('thumbs');
    expect(config.sizes.map((box) => box.label)).toEqual(['75x75', '125x125', '1280x720']);
    expect([config.outputFormat, config.quality]).toEqual(['auto', 80]);
    expect(config.retry).toEqual({ baseDelaySeconds: 10, maxDelaySeconds: 300 });
    expect(config.maxImageBytes).toBe(50 * 1024 * 1024);
    expect(config.maxImagePixels).toBe(50_000_000);
    // 75% of the 1024 MB the function is deployed with.
    expect(config.maxDecodeBytes).toBe(Math.floor(1024 * 2 ** 20 * 0.75));
    expect(config.eventBusName).toBe('default');
  });

  it('reads the event bus name from EVENT_BUS_NAME', () => {
    expect(loadThumbnailConfig({ THUMBNAILS_BUCKET: 't', ...queues, EVENT_BUS_NAME: 'uploads.v2' }).eventBusName).toBe(
      'uploads.v2',
    );
  });

  it('derives the decode budget from the memory Lambda gives the function, unless MAX_DECODE_BYTES is set', () => {
    const base = { THUMBNAILS_BUCKET: 'thumbs', ...queues };
    expect(loadThumbnailConfig({ ...base, AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '2048' }).maxDecodeBytes).toBe(
      Math.floor(2048 * 2 ** 20 * 0.75),
    );
    expect(
      loadThumbnailConfig({ ...base, AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '2048', MAX_DECODE_BYTES: '1000' })
        .maxDecodeBytes,
    ).toBe(1000);
  });

  it('reads sizes and quality from the environment', () => {
    const config = loadThumbnailConfig({
      THUMBNAILS_BUCKET: 'thumbs',
      ...queues,
      THUMBNAIL_SIZES: '10x20',
      MAX_IMAGE_BYTES: '1000',
      MAX_IMAGE_PIXELS: '2000',
      THUMBNAIL_QUALITY: '65',
      THUMBNAIL_FORMAT: 'WebP',
      RETRY_BASE_DELAY_SECONDS: '1',
    });
    expect(config.sizes).toEqual([{ width: 10, height: 20, label: '10x20' }]);
    expect(config.quality).toBe(65);
    expect(config.outputFormat).toBe('webp');
    expect(config.retry.baseDelaySeconds).toBe(1);
    expect([config.maxImageBytes, config.maxImagePixels]).toEqual([1000, 2000]);
  });

  it.each([
    [{ ...queues }, 'THUMBNAILS_BUCKET must be set'],
    [{ THUMBNAILS_BUCKET: 't', DEAD_LETTER_QUEUE_URL: 'd' }, 'IMAGES_QUEUE_URL must be set'],
    [{ THUMBNAILS_BUCKET: 't', IMAGES_QUEUE_URL: 'q' }, 'DEAD_LETTER_QUEUE_URL must be set'],
    [{ THUMBNAILS_BUCKET: 't', ...queues, MAX_IMAGE_PIXELS: '0' }, 'MAX_IMAGE_PIXELS must be a whole number from 1'],
    [
      { THUMBNAILS_BUCKET: 't', ...queues, THUMBNAIL_SIZES: 'big' },
      'THUMBNAIL_SIZES: "big" is not of the form WIDTHxHEIGHT',
    ],
    [
      { THUMBNAILS_BUCKET: 't', ...queues, THUMBNAIL_QUALITY: '101' },
      'THUMBNAIL_QUALITY must be a whole number from 1 to 100, got "101"',
    ],
    [
      { THUMBNAILS_BUCKET: 't', ...queues, THUMBNAIL_FORMAT: 'gif' },
      'THUMBNAIL_FORMAT must be auto, jpeg, png, webp, avif',
    ],
    [
      { THUMBNAILS_BUCKET: 't', ...queues, EVENT_BUS_NAME: 'arn:aws:events:us-east-1:1:event-bus/x' },
      'EVENT_BUS_NAME must be an event bus name',
    ],
  ])('names the variable that is wrong in %j', (env, message) => {
    expect(() => loadThumbnailConfig(env)).toThrow(ConfigError);
    expect(() => loadThumbnailConfig(env)).toThrow(message);
  });
});

describe('loadNotifyConfig', () => {
  it('needs the topic, and requests links for an hour unless told otherwise, at most 7 days', () => {
    expect(() => loadNotifyConfig({})).toThrow('NOTIFY_TOPIC_ARN must be set');
    expect(loadNotifyConfig({ NOTIFY_TOPIC_ARN: 't' })).toEqual({ topicArn: 't', linkExpirySeconds: 3600 });
    expect(loadNotifyConfig({ NOTIFY_TOPIC_ARN: 't', NOTIFY_LINK_EXPIRY_SECONDS: '604800' }).linkExpirySeconds).toBe(
      604800,
    );
    expect(() => loadNotifyConfig({ NOTIFY_TOPIC_ARN: 't', NOTIFY_LINK_EXPIRY_SECONDS: '604801' })).toThrow(
      'NOTIFY_LINK_EXPIRY_SECONDS must be a whole number from 1 to 604800',
    );
  });
});

describe('loadRedriveConfig', () => {
  it('needs both queue URLs', () => {
    expect(() => loadRedriveConfig({ IMAGES_QUEUE_URL: 'q' })).toThrow('DEAD_LETTER_QUEUE_URL must be set');
    expect(loadRedriveConfig({ IMAGES_QUEUE_URL: 'q', DEAD_LETTER_QUEUE_URL: 'd' })).toMatchObject({
      imagesQueueUrl: 'q',
      deadLetterQueueUrl: 'd',
      limits: { timeBudgetMs: 90_000, timeReserveMs: 10_000 },
    });
  });
});
