import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { ObjectGoneError, ObjectSupersededError, UnreadableVideoError } from '../errors';

/** What the video pipeline needs from S3 before ffmpeg reads the video itself. */
export interface VideoSource {
  /**
   * A URL ffmpeg reads the object from, by range requests, valid for `expiresInSeconds`. Throws
   * ObjectGoneError or ObjectSupersededError (no longer `eTag`) like the image store, and
   * UnreadableVideoError for an empty object.
   */
  locate(
    bucket: string,
    key: string,
    options: { readonly eTag?: string; readonly expiresInSeconds: number; readonly abortSignal?: AbortSignal },
  ): Promise<{ readonly url: string; readonly bytes: number }>;
}

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

/** HTTP wants an entity tag quoted; S3 event notifications give it bare. */
function quotedETag(eTag: string): string {
  return eTag.startsWith('"') ? eTag : `"${eTag}"`;
}

export function s3VideoSource(s3: S3Client): VideoSource {
  return {
    async locate(bucket, key, { eTag, expiresInSeconds, abortSignal }) {
      let head;
      try {
        head = await s3.send(
          new HeadObjectCommand({
            Bucket: bucket,
            Key: key,
            IfMatch: eTag === undefined ? undefined : quotedETag(eTag),
          }),
          { abortSignal },
        );
      } catch (error) {
        const status = statusOf(error);
        const name = (error as { name?: string }).name;
        if (status === 404 || name === 'NotFound' || name === 'NoSuchKey') {
          throw new ObjectGoneError(`s3://${bucket}/${key} no longer exists`);
        }
        if (status === 412 || name === 'PreconditionFailed') {
          throw new ObjectSupersededError(
            `s3://${bucket}/${key} was overwritten after this notification (no longer ETag ${eTag}); the newer upload has its own`,
          );
        }
        throw error;
      }
      const bytes = head.ContentLength ?? 0;
      if (bytes === 0) throw new UnreadableVideoError('empty-object', 'the object is empty (0 bytes)');
      // Signed for this object only; ffmpeg reads it by range without the SDK, so without credentials.
      const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: key }), {
        expiresIn: expiresInSeconds,
      });
      return { url, bytes };
    },
  };
}
