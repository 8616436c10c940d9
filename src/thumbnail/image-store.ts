import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { objectReadFailure, ifMatch } from '../aws/s3-object-read';
import { ImageTooLargeError } from '../errors';

export interface ReadOptions {
  /**
   * The ETag the notification named: the read succeeds only while the object still has these bytes
   * (GetObject IfMatch), and throws ObjectSupersededError once it was overwritten.
   */
  readonly eTag?: string;
  /** Aborts the request (the record's time is up). */
  readonly abortSignal?: AbortSignal;
}

/** What the pipeline needs from S3: read a source image, write a thumbnail. */
export interface ImageStore {
  /**
   * The object's bytes. Throws ObjectGoneError if it no longer exists, ObjectSupersededError if it no
   * longer has `eTag`, and ImageTooLargeError, without downloading the body, if it is larger than
   * `maxBytes`.
   */
  read(bucket: string, key: string, maxBytes: number, options?: ReadOptions): Promise<Buffer>;
  write(object: StoredThumbnail, options?: { readonly abortSignal?: AbortSignal }): Promise<void>;
}

export interface StoredThumbnail {
  readonly bucket: string;
  readonly key: string;
  readonly body: Buffer;
  readonly contentType: string;
  /** User metadata; S3 only carries ASCII here, so values must already be encoded. */
  readonly metadata: Record<string, string>;
}

export function tooManyBytes(size: number, maxBytes: number): ImageTooLargeError {
  return new ImageTooLargeError(
    'too-many-bytes',
    `the object is ${size.toLocaleString('en')} bytes, over the limit of ${maxBytes.toLocaleString('en')} (MAX_IMAGE_BYTES)`,
  );
}

export function s3ImageStore(s3: S3Client): ImageStore {
  return {
    async read(bucket, key, maxBytes, { eTag, abortSignal } = {}) {
      let response;
      try {
        response = await s3.send(
          new GetObjectCommand({
            Bucket: bucket,
            Key: key,
            IfMatch: ifMatch(eTag),
          }),
          { abortSignal },
        );
      } catch (error) {
        throw objectReadFailure(error, bucket, key, eTag);
      }
      if (!response.Body) throw new Error(`s3://${bucket}/${key} returned no body`);
      if (response.ContentLength !== undefined && response.ContentLength > maxBytes) {
        // Close the connection instead of reading a body we are going to refuse.
        (response.Body as { destroy?: () => void }).destroy?.();
        throw tooManyBytes(response.ContentLength, maxBytes);
      }
      return Buffer.from(await response.Body.transformToByteArray());
    },
    async write({ bucket, key, body, contentType, metadata }, { abortSignal } = {}) {
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: body,
          ContentType: contentType,
          Metadata: metadata,
        }),
        { abortSignal },
      );
    },
  };
}
