import { InvalidMessageError } from '../errors';
import type { S3EventRecord } from 'aws-lambda';

/** One object named by an S3 ObjectCreated notification, with its key decoded. */
export interface S3ObjectRef {
  readonly bucket: string;
  readonly key: string;
  /** Size in bytes as reported by the notification. */
  readonly size: number | undefined;
  /** The uploaded bytes' ETag as reported by the notification: what must be read, not newer bytes. */
  readonly eTag: string | undefined;
  /** Only in versioned buckets. */
  readonly versionId?: string;
}

/**
 * The images queue is fed either by the bucket's S3 event notification (`ingest: notification`) or by an
 * EventBridge rule forwarding the bucket's events (`ingest: eventbridge`); both shapes are read here, and
 * everything after this module is the same for both.
 */

/** What an SQS message from the images queue asks for. */
export type ImageMessage =
  /** S3 sends one `s3:TestEvent` when a notification is configured; there is nothing to do. */
  { readonly kind: 'test-event' } | { readonly kind: 'objects'; readonly objects: readonly S3ObjectRef[] };

/**
 * S3 URL-encodes keys in notifications the way HTML forms do: a space is `+` and other characters are
 * %-escaped (a literal `+` arrives as `%2B`), so `+` must be turned back into a space before unescaping.
 */
export function decodeS3Key(encodedKey: string): string {
  try {
    return decodeURIComponent(encodedKey.replace(/\+/g, ' '));
  } catch {
    throw new InvalidMessageError(`object key "${encodedKey}" is not valid URL encoding`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function toObjectRef(record: unknown, index: number): S3ObjectRef | undefined {
  const s3Record = record as Partial<S3EventRecord>;
  const bucket = s3Record.s3?.bucket?.name;
  const key = s3Record.s3?.object?.key;
  if (s3Record.eventSource !== 'aws:s3' || typeof bucket !== 'string' || typeof key !== 'string') {
    throw new InvalidMessageError(`Records[${index}] is not an S3 event record`);
  }
  // Only creations make thumbnails; anything else routed here by a wider notification is ignored.
  if (typeof s3Record.eventName !== 'string' || !s3Record.eventName.startsWith('ObjectCreated:')) {
    return undefined;
  }
  const size = s3Record.s3?.object?.size;
  const eTag = s3Record.s3?.object?.eTag;
  const versionId = s3Record.s3?.object?.versionId;
  return {
    bucket,
    key: decodeS3Key(key),
    size: typeof size === 'number' ? size : undefined,
    eTag: typeof eTag === 'string' && eTag !== '' ? eTag : undefined,
    ...(typeof versionId === 'string' && versionId !== '' ? { versionId } : {}),
  };
}

/** EventBridge's "detail-type" for the creation of an object (PutObject, POST, CopyObject, multipart). */
const OBJECT_CREATED = 'Object Created';

/** An event S3 sent to EventBridge (`source: aws.s3`), as a rule delivers it to a queue. */
function isEventBridgeS3Event(parsed: Record<string, unknown>): boolean {
  return parsed.source === 'aws.s3' && typeof parsed['detail-type'] === 'string';
}

/**
 * EventBridge's S3 events name one object each, in `detail`. Unlike notifications, the key is not
 * URL-encoded (AWS's examples; MiniStack sends it as it is too), so it is taken as it is.
 */
function eventBridgeMessage(parsed: Record<string, unknown>): ImageMessage {
  // Only creations make thumbnails; other S3 events a wider rule might forward are ignored.
  if (parsed['detail-type'] !== OBJECT_CREATED) return { kind: 'objects', objects: [] };
  const detail = isRecord(parsed.detail) ? parsed.detail : {};
  const bucket = isRecord(detail.bucket) ? detail.bucket.name : undefined;
  const object = isRecord(detail.object) ? detail.object : {};
  if (typeof bucket !== 'string' || typeof object.key !== 'string') {
    throw new InvalidMessageError(
      'EventBridge "Object Created" event without detail.bucket.name and detail.object.key',
    );
  }
  const versionId = object['version-id'];
  return {
    kind: 'objects',
    objects: [
      {
        bucket,
        key: object.key,
        size: typeof object.size === 'number' ? object.size : undefined,
        eTag: typeof object.etag === 'string' && object.etag !== '' ? object.etag : undefined,
        ...(typeof versionId === 'string' && versionId !== '' ? { versionId } : {}),
      },
    ],
  };
}

/**
 * Reads the body of an images-queue message: an S3 event notification, or an S3 event EventBridge
 * delivered (see above).
 */
export function parseImageMessage(body: string): ImageMessage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new InvalidMessageError('message body is not JSON, so it is not an S3 event notification');
  }
  if (!isRecord(parsed)) {
    throw new InvalidMessageError('message body is not an S3 event notification (not a JSON object)');
  }
  if (parsed.Event === 's3:TestEvent') return { kind: 'test-event' };
  if (isEventBridgeS3Event(parsed)) return eventBridgeMessage(parsed);
  if (!Array.isArray(parsed.Records)) {
    throw new InvalidMessageError('message body is not an S3 event notification (no Records array)');
  }
  const objects = parsed.Records.map(toObjectRef).filter((ref): ref is S3ObjectRef => ref !== undefined);
  return { kind: 'objects', objects };
}
