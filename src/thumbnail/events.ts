import type { S3ObjectRef } from './s3-event';

/**
 * The events the pipeline puts on its EventBridge bus (parameter `eventBus`), one per object: what users
 * subscribe to instead of polling the thumbnails bucket. The README documents them with an example.
 */
export const EVENT_SOURCE = 'thumbnails';
export const THUMBNAILS_CREATED = 'Thumbnails Created';
export const THUMBNAILS_FAILED = 'Thumbnails Failed';

/** A failure reason is cut to this length, as in the dead-letter message's attribute. */
const MAX_REASON_LENGTH = 1024;

/** One thumbnail written for a source object. */
export interface CreatedThumbnail {
  readonly bucket: string;
  readonly key: string;
  readonly width: number;
  readonly height: number;
  readonly bytes: number;
  readonly contentType: string;
}

/** Which upload an event is about: the bytes the S3 event named. */
interface SourceObject {
  readonly bucket: string;
  readonly key: string;
  /** The ETag S3 reported for the upload (without quotes). */
  readonly eTag?: string;
  /** Only in versioned buckets. */
  readonly versionId?: string;
}

export interface ThumbnailsCreatedDetail extends SourceObject {
  readonly thumbnails: readonly CreatedThumbnail[];
  /** From the start of the object's processing to its last thumbnail written. */
  readonly durationMs: number;
}

/**
 * An object whose message was sent to the dead-letter queue. `bucket` and `key` are absent when the
 * message named no object (`invalid-message`); `messageId` finds the message there either way.
 */
export interface ThumbnailsFailedDetail extends Partial<SourceObject> {
  readonly failureCode: string;
  readonly reason: string;
  readonly messageId: string;
}

export interface ThumbnailsCreatedEvent {
  readonly detailType: typeof THUMBNAILS_CREATED;
  readonly detail: ThumbnailsCreatedDetail;
}

export interface ThumbnailsFailedEvent {
  readonly detailType: typeof THUMBNAILS_FAILED;
  readonly detail: ThumbnailsFailedDetail;
}

export type ThumbnailEvent = ThumbnailsCreatedEvent | ThumbnailsFailedEvent;

/** Where events go: EventBridge in the functions (src/aws/event-bus.ts), a recorder in tests. */
export interface EventPublisher {
  /** Resolves once every event is accepted; rejects (a transient failure) if any one is not. */
  publish(events: readonly ThumbnailEvent[], options?: { readonly abortSignal?: AbortSignal }): Promise<void>;
}

function sourceFields(source: S3ObjectRef): SourceObject {
  return {
    bucket: source.bucket,
    key: source.key,
    ...(source.eTag === undefined ? {} : { eTag: source.eTag }),
    ...(source.versionId === undefined ? {} : { versionId: source.versionId }),
  };
}

export function thumbnailsCreated(
  source: S3ObjectRef,
  thumbnails: readonly CreatedThumbnail[],
  durationMs: number,
): ThumbnailsCreatedEvent {
  return { detailType: THUMBNAILS_CREATED, detail: { ...sourceFields(source), thumbnails, durationMs } };
}

/** One event per object of the dead-lettered message, or one without an object if it named none. */
export function thumbnailsFailed(
  objects: readonly S3ObjectRef[],
  failure: { readonly code: string; readonly reason: string },
  messageId: string,
): ThumbnailsFailedEvent[] {
  const fields = { failureCode: failure.code, reason: failure.reason.slice(0, MAX_REASON_LENGTH), messageId };
  const details = objects.length === 0 ? [fields] : objects.map((object) => ({ ...sourceFields(object), ...fields }));
  return details.map((detail) => ({ detailType: THUMBNAILS_FAILED, detail }));
}
