import { InvalidMessageError } from '../errors';
import type { CreatedThumbnail, ThumbnailsCreatedDetail } from '../thumbnail/events';

/** A thumbnail with the presigned GET URL the e-mail links to. */
export interface ThumbnailLink extends CreatedThumbnail {
  readonly url: string;
}

export interface Notification {
  readonly subject: string;
  readonly message: string;
}

/** SNS: a subject is ASCII, without line breaks, under 100 characters. */
const MAX_SUBJECT_LENGTH = 99;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isThumbnail(value: unknown): value is CreatedThumbnail {
  return (
    isRecord(value) &&
    typeof value.bucket === 'string' &&
    typeof value.key === 'string' &&
    typeof value.width === 'number' &&
    typeof value.height === 'number' &&
    typeof value.bytes === 'number' &&
    typeof value.contentType === 'string'
  );
}

/** The detail of a "Thumbnails Created" event (src/thumbnail/events.ts), checked. */
export function parseThumbnailsCreated(detail: unknown): ThumbnailsCreatedDetail {
  if (
    !isRecord(detail) ||
    typeof detail.bucket !== 'string' ||
    typeof detail.key !== 'string' ||
    typeof detail.durationMs !== 'number' ||
    !Array.isArray(detail.thumbnails) ||
    !detail.thumbnails.every(isThumbnail)
  ) {
    throw new InvalidMessageError('event detail is not that of a "Thumbnails Created" event');
  }
  return detail as unknown as ThumbnailsCreatedDetail;
}

/** The last part of a key, in printable ASCII (others as `?`), short enough for a subject. */
function subjectFor(key: string): string {
  const name = key.split('/').filter(Boolean).pop() ?? key;
  const subject = `Thumbnails ready: ${name.replace(/[^\x20-\x7e]/g, '?')}`;
  return subject.length <= MAX_SUBJECT_LENGTH ? subject : `${subject.slice(0, MAX_SUBJECT_LENGTH - 3)}...`;
}

/**
 * The e-mail for one upload: each thumbnail with its size and a link. The links are presigned with the
 * notify function's role credentials, so they stop working when those expire, even before `expiresAt`.
 */
export function composeNotification(
  upload: ThumbnailsCreatedDetail,
  links: readonly ThumbnailLink[],
  expiresAt: Date,
): Notification {
  const lines = [
    `The thumbnails of s3://${upload.bucket}/${upload.key} are ready (${links.length}, made in ${upload.durationMs} ms):`,
    '',
    ...links.flatMap((link) => [
      `${link.width}x${link.height} ${link.contentType}, ${link.bytes} bytes:`,
      link.url,
      '',
    ]),
    `The links work until ${expiresAt.toISOString()} at the latest. They are signed with the notifying ` +
      `function's temporary credentials and stop working when those expire, which can be sooner.`,
  ];
  return { subject: subjectFor(upload.key), message: lines.join('\n') };
}
