import { ObjectGoneError, ObjectSupersededError } from '../errors';

/**
 * Reading the object a notification named, as it was then: GetObject/HeadObject with IfMatch on the
 * notification's ETag, and S3's refusals said in the pipeline's terms. One place for the image store,
 * the video source and the video router.
 */

/** The IfMatch header for `eTag`: HTTP wants an entity tag quoted, S3 event notifications give it bare. */
export function ifMatch(eTag: string | undefined): string | undefined {
  if (eTag === undefined) return undefined;
  return eTag.startsWith('"') ? eTag : `"${eTag}"`;
}

/**
 * What a failed read of s3://`bucket`/`key` means: ObjectGoneError if the object no longer exists,
 * ObjectSupersededError if it no longer has `eTag` (overwritten since), else the error itself.
 */
export function objectReadFailure(error: unknown, bucket: string, key: string, eTag?: string): unknown {
  const { name, $metadata } = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  const status = $metadata?.httpStatusCode;
  if (name === 'NoSuchKey' || name === 'NotFound' || status === 404) {
    return new ObjectGoneError(`s3://${bucket}/${key} no longer exists`);
  }
  if (name === 'PreconditionFailed' || status === 412) {
    return new ObjectSupersededError(
      `s3://${bucket}/${key} was overwritten after this notification (no longer ETag ${eTag}); the newer upload has its own`,
    );
  }
  return error;
}
