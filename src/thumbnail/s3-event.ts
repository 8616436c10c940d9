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

/** Reads the body of an images-queue message, which S3 fills with an event notification. */
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
  if (!Array.isArray(parsed.Records)) {
    throw new InvalidMessageError('message body is not an S3 event notification (no Records array)');
  }
  const objects = parsed.Records.map(toObjectRef).filter((ref): ref is S3ObjectRef => ref !== undefined);
  return { kind: 'objects', objects };
}
