import { InvalidMessageError } from '../../../src/errors';
import { composeNotification, parseThumbnailsCreated } from '../../../src/notify/notification';
import { thumbnailsCreated } from '../../../src/thumbnail/events';

const upload = thumbnailsCreated(
  { bucket: 'images', key: 'holidays/été 2026/photo.jpg', size: 100, eTag: 'abc' },
  [
    {
      bucket: 'thumbs',
      key: 'holidays/été 2026/photo.jpg/75x75.jpg',
      width: 75,
      height: 50,
      bytes: 2345,
      contentType: 'image/jpeg',
    },
    {
      bucket: 'thumbs',
      key: 'holidays/été 2026/photo.jpg/125x125.jpg',
      width: 125,
      height: 83,
      bytes: 5678,
      contentType: 'image/jpeg',
    },
  ],
  412,
).detail;

describe('parseThumbnailsCreated', () => {
  it('accepts the detail the thumbnail function puts on the bus', () => {
    expect(parseThumbnailsCreated(JSON.parse(JSON.stringify(upload)))).toEqual(upload);
  });

  it.each([
    ['not an object', 'hello'],
    [
      'a "Thumbnails Failed" detail',
      { bucket: 'b', key: 'k', failureCode: 'corrupt-image', reason: 'r', messageId: 'm' },
    ],
    ['a thumbnail without its size', { ...upload, thumbnails: [{ bucket: 'thumbs', key: 'k' }] }],
  ])('refuses %s', (_label, detail) => {
    expect(() => parseThumbnailsCreated(detail)).toThrow(InvalidMessageError);
  });
});

describe('composeNotification', () => {
  const links = upload.thumbnails.map((thumbnail, i) => ({ ...thumbnail, url: `https://example.com/link-${i}` }));

  it('lists every thumbnail with its size, type, bytes and link, and says until when the links work', () => {
    const { subject, message } = composeNotification(upload, links, new Date('2026-11-24T19:00:00Z'));

    expect(subject).toBe('Thumbnails ready: photo.jpg');
    expect(message).toBe(
      [
        'The thumbnails of s3://images/holidays/été 2026/photo.jpg are ready (2, made in 412 ms):',
        '',
        '75x50 image/jpeg, 2345 bytes:',
        'https://example.com/link-0',
        '',
        '125x83 image/jpeg, 5678 bytes:',
        'https://example.com/link-1',
        '',
        "The links work until 2026-11-24T19:00:00.000Z at the latest. They are signed with the notifying function's temporary credentials and stop working when those expire, which can be sooner.",
      ].join('\n'),
    );
  });

  it('keeps the subject within what SNS accepts: printable ASCII, under 100 characters', () => {
    const { subject } = composeNotification({ ...upload, key: `dir/写真-${'x'.repeat(200)}.jpg` }, links, new Date(0));

    expect(subject).toMatch(/^Thumbnails ready: \?\?-x+\.\.\.$/);
    expect(subject.length).toBe(99);
  });
});
