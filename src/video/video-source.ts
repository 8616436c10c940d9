import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { ifMatch, objectReadFailure } from '../aws/s3-object-read';
import { UnreadableVideoError } from '../errors';

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

export function s3VideoSource(s3: S3Client): VideoSource {
  return {
    async locate(bucket, key, { eTag, expiresInSeconds, abortSignal }) {
      let head;
      try {
        head = await s3.send(
          new HeadObjectCommand({
            Bucket: bucket,
            Key: key,
            IfMatch: ifMatch(eTag),
          }),
          { abortSignal },
        );
      } catch (error) {
        throw objectReadFailure(error, bucket, key, eTag);
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
