import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { CreatedThumbnail } from '../thumbnail/events';
import type { ThumbnailLink } from './notification';

/**
 * A presigned GET URL for each thumbnail, valid for `expirySeconds` (SigV4 allows at most 7 days) or until
 * the credentials of `s3` expire, whichever comes first: S3 refuses a URL whose signing session ended.
 */
export async function presignLinks(
  s3: S3Client,
  thumbnails: readonly CreatedThumbnail[],
  expirySeconds: number,
): Promise<ThumbnailLink[]> {
  return Promise.all(
    thumbnails.map(async (thumbnail) => ({
      ...thumbnail,
      url: await getSignedUrl(s3, new GetObjectCommand({ Bucket: thumbnail.bucket, Key: thumbnail.key }), {
        expiresIn: expirySeconds,
      }),
    })),
  );
}
