import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { objectReadFailure } from '../aws/s3-object-read';
import { ObjectForwardedError } from '../errors';
import { hasImageSignature } from '../images/formats/signatures';
import type { S3ObjectRef } from '../thumbnail/s3-event';
import { sniffVideoContainer, VIDEO_SNIFF_BYTES } from './sniff';

/**
 * S3's notation for keys in notifications, the inverse of decodeS3Key: %-escaped, a space as `+`.
 */
export function encodeS3Key(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, '+');
}

/**
 * The body the video function reads: an S3 event notification naming this one object, in the form S3
 * sends, so that the videos queue, its dead letters and the redrive (which moves dead letters back to the
 * images queue, where they are recognised and forwarded again) all carry the same kind of message.
 */
export function videoMessageBody(source: S3ObjectRef): string {
  return JSON.stringify({
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        eventName: 'ObjectCreated:Put',
        s3: {
          bucket: { name: source.bucket },
          object: {
            key: encodeS3Key(source.key),
            ...(source.size === undefined ? {} : { size: source.size }),
            ...(source.eTag === undefined ? {} : { eTag: source.eTag }),
          },
        },
      },
    ],
  });
}

/** Sends uploads recognised as videos to the videos queue, from the image function. */
export interface VideoRouter {
  /**
   * If `head` (the object's first bytes, or all of them) is a video container no image format claims,
   * sends the object to the videos queue and throws ObjectForwardedError; otherwise returns.
   */
  forwardIfVideo(source: S3ObjectRef, head: Buffer, abortSignal?: AbortSignal): Promise<void>;
  /** The object's first bytes, for an object too large to be read whole as an image. */
  readHead(source: S3ObjectRef, abortSignal?: AbortSignal): Promise<Buffer>;
}

export function videoRouter(s3: S3Client, sqs: SQSClient, videosQueueUrl: string): VideoRouter {
  return {
    async forwardIfVideo(source, head, abortSignal) {
      if (hasImageSignature(head)) return;
      const container = sniffVideoContainer(head);
      if (!container) return;
      await sqs.send(new SendMessageCommand({ QueueUrl: videosQueueUrl, MessageBody: videoMessageBody(source) }), {
        abortSignal,
      });
      throw new ObjectForwardedError(`a video (${container} container): sent to the videos queue`);
    },
    async readHead(source, abortSignal) {
      let response;
      try {
        response = await s3.send(
          new GetObjectCommand({ Bucket: source.bucket, Key: source.key, Range: `bytes=0-${VIDEO_SNIFF_BYTES - 1}` }),
          { abortSignal },
        );
      } catch (error) {
        throw objectReadFailure(error, source.bucket, source.key);
      }
      return Buffer.from((await response.Body?.transformToByteArray()) ?? []);
    },
  };
}
