import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/** What the pipeline needs from S3: read a source image, write a thumbnail. */
export interface ImageStore {
  read(bucket: string, key: string): Promise<Buffer>;
  write(object: StoredThumbnail): Promise<void>;
}

export interface StoredThumbnail {
  readonly bucket: string;
  readonly key: string;
  readonly body: Buffer;
  readonly contentType: string;
  /** User metadata; S3 only carries ASCII here, so values must already be encoded. */
  readonly metadata: Record<string, string>;
}

export function s3ImageStore(s3: S3Client): ImageStore {
  return {
    async read(bucket, key) {
      const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!response.Body) throw new Error(`s3://${bucket}/${key} returned no body`);
      return Buffer.from(await response.Body.transformToByteArray());
    },
    async write({ bucket, key, body, contentType, metadata }) {
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: body,
          ContentType: contentType,
          Metadata: metadata,
        }),
      );
    },
  };
}
