import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { createS3Client, createSqsClient } from '../../src/aws/clients';
import { parseBoundingBoxes, type BoundingBox } from '../../src/thumbnail/sizes';
import { eventually } from './eventually';

/** The deployed stage scripts and the functional suite talk to (`make deploy-local` deploys `local`). */
export const STAGE = process.env.STAGE ?? 'local';
export const STACK_NAME = `thumbnails-${STAGE}`;

export interface Stack {
  readonly imagesBucket: string;
  readonly thumbnailsBucket: string;
  readonly imagesQueueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly maxReceiveCount: number;
  /** The sizes the deployed thumbnail function is configured with. */
  readonly sizes: BoundingBox[];
}

export const s3 = createS3Client();
export const sqs = createSqsClient();

/** Finds the deployed resources the way a script would: from the stack's outputs. */
export async function describeStack(): Promise<Stack> {
  const described = await new CloudFormationClient({}).send(new DescribeStacksCommand({ StackName: STACK_NAME }));
  const outputs = Object.fromEntries(
    (described.Stacks?.[0]?.Outputs ?? []).map((output) => [output.OutputKey, output.OutputValue]),
  );
  const output = (name: string): string => {
    const value = outputs[name];
    if (!value) throw new Error(`stack ${STACK_NAME} has no output ${name}; was it deployed (make deploy-local)?`);
    return value;
  };
  const thumbnailFunction = await new LambdaClient({}).send(
    new GetFunctionConfigurationCommand({ FunctionName: `${STACK_NAME}-thumbnail` }),
  );
  return {
    imagesBucket: output('ImagesBucketName'),
    thumbnailsBucket: output('ThumbnailsBucketName'),
    imagesQueueUrl: output('ImagesQueueUrl'),
    deadLetterQueueUrl: output('DeadLetterQueueUrl'),
    maxReceiveCount: Number(output('MaxReceiveCount')),
    sizes: parseBoundingBoxes(thumbnailFunction.Environment?.Variables?.THUMBNAIL_SIZES ?? ''),
  };
}

/** A key prefix of this test run's own, so runs and test files never see each other's objects. */
export function uniquePrefix(name: string): string {
  return `functional-${name}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
}

export async function upload(bucket: string, key: string, body: Buffer): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

export async function download(bucket: string, key: string): Promise<{ body: Buffer; contentType?: string }> {
  const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return {
    body: Buffer.from(await response.Body!.transformToByteArray()),
    contentType: response.ContentType,
  };
}

export async function listKeys(bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    keys.push(...(page.Contents ?? []).flatMap((object) => (object.Key ? [object.Key] : [])));
    token = page.NextContinuationToken;
  } while (token);
  return keys.sort();
}

export async function deletePrefix(bucket: string, prefix: string): Promise<void> {
  const keys = await listKeys(bucket, prefix);
  for (let start = 0; start < keys.length; start += 1000) {
    await s3.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Objects: keys.slice(start, start + 1000).map((Key) => ({ Key })) },
      }),
    );
  }
}

/** Messages in a queue, visible or in flight. */
export async function queueDepth(queueUrl: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(Attributes.ApproximateNumberOfMessages ?? 0) + Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

/**
 * Waits until the thumbnails bucket lists every configured size of `sourceKey`, and returns those keys.
 * `onPoll` runs before each look (e.g. to show progress).
 */
export async function waitForThumbnails(
  stack: Stack,
  sourceKey: string,
  { timeoutMs = 60_000, onPoll }: { timeoutMs?: number; onPoll?: () => void } = {},
): Promise<string[]> {
  return eventually(
    `thumbnails of ${sourceKey}`,
    async () => {
      onPoll?.();
      const keys = await listKeys(stack.thumbnailsBucket, `${sourceKey}/`);
      return keys.length >= stack.sizes.length ? keys : undefined;
    },
    { timeoutMs },
  );
}
