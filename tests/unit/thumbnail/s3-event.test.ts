import { InvalidMessageError } from '../../../src/errors';
import { decodeS3Key, parseImageMessage } from '../../../src/thumbnail/s3-event';
import {
  encodeKeyLikeS3,
  eventBridgeS3EventBody,
  S3_TEST_EVENT_BODY,
  s3NotificationBody,
} from '../../support/s3-events';

describe('decodeS3Key', () => {
  it.each([
    ['photos/cat.jpg', 'photos/cat.jpg'],
    ['my+holiday+photo.jpg', 'my holiday photo.jpg'],
    ['a%2Bb.jpg', 'a+b.jpg'],
    ['100%25+real.png', '100% real.png'],
    ['%C3%BCber+%E5%86%99%E7%9C%9F.JPG', 'über 写真.JPG'],
  ])('decodes %s to %s', (encoded, decoded) => {
    expect(decodeS3Key(encoded)).toBe(decoded);
  });

  it('round-trips keys encoded the way S3 encodes them', () => {
    const key = 'dir/a+b (1)=ü %.jpg';
    expect(decodeS3Key(encodeKeyLikeS3(key))).toBe(key);
  });

  it('rejects malformed escapes with a clear error', () => {
    expect(() => decodeS3Key('bad%ZZ.jpg')).toThrow(
      new InvalidMessageError('object key "bad%ZZ.jpg" is not valid URL encoding'),
    );
  });
});

describe('parseImageMessage', () => {
  it('returns the decoded objects of an S3 notification', () => {
    const message = parseImageMessage(s3NotificationBody('images', 'folder/my photo.jpg', 'other.PNG'));
    expect(message).toEqual({
      kind: 'objects',
      objects: [
        { bucket: 'images', key: 'folder/my photo.jpg', size: 1234, eTag: 'etag' },
        { bucket: 'images', key: 'other.PNG', size: 1234, eTag: 'etag' },
      ],
    });
  });

  it('recognises the s3:TestEvent sent when the notification is configured', () => {
    expect(parseImageMessage(S3_TEST_EVENT_BODY)).toEqual({ kind: 'test-event' });
  });

  it('ignores records that are not object creations', () => {
    const body = JSON.parse(s3NotificationBody('images', 'gone.jpg'));
    body.Records[0].eventName = 'ObjectRemoved:Delete';
    expect(parseImageMessage(JSON.stringify(body))).toEqual({ kind: 'objects', objects: [] });
  });

  it('reads the object of an S3 "Object Created" event delivered by EventBridge, its key as it is', () => {
    const body = JSON.parse(eventBridgeS3EventBody('images', 'folder/my photo+1 %.jpg'));
    body.detail.object['version-id'] = 'v2';

    expect(parseImageMessage(JSON.stringify(body))).toEqual({
      kind: 'objects',
      objects: [{ bucket: 'images', key: 'folder/my photo+1 %.jpg', size: 1234, eTag: 'etag', versionId: 'v2' }],
    });
  });

  it('gives the same objects for both shapes of the same upload', () => {
    const key = 'a b/ü+c.jpg';
    expect(parseImageMessage(eventBridgeS3EventBody('images', key))).toEqual(
      parseImageMessage(s3NotificationBody('images', key)),
    );
  });

  it('ignores EventBridge S3 events that are not object creations', () => {
    expect(parseImageMessage(eventBridgeS3EventBody('images', 'gone.jpg', 'Object Deleted'))).toEqual({
      kind: 'objects',
      objects: [],
    });
  });

  it.each([
    [
      'an EventBridge "Object Created" event without an object key',
      JSON.stringify({ source: 'aws.s3', 'detail-type': 'Object Created', detail: { bucket: { name: 'images' } } }),
      /EventBridge "Object Created" event without detail.bucket.name and detail.object.key/,
    ],
    [
      'an EventBridge event from another source',
      JSON.stringify({ source: 'thumbnails', 'detail-type': 'Thumbnails Created', detail: {} }),
      /no Records array/,
    ],
    ['not JSON', 'hello', /not JSON/],
    ['a JSON array', '[1,2]', /not a JSON object/],
    ['JSON without Records', '{"foo":1}', /no Records array/],
    [
      'a record from another service',
      '{"Records":[{"eventSource":"aws:sns"}]}',
      /Records\[0\] is not an S3 event record/,
    ],
  ])('rejects a body that is %s', (_label, body, reason) => {
    expect(() => parseImageMessage(body)).toThrow(InvalidMessageError);
    expect(() => parseImageMessage(body)).toThrow(reason);
  });
});
