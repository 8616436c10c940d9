import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';

/**
 * The one place AWS clients are made. Region, credentials and endpoint come from the standard
 * environment (`AWS_REGION`, `AWS_ENDPOINT_URL`, ...), which both Lambda and local emulators set.
 */
function usesCustomEndpoint(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.AWS_ENDPOINT_URL || env.AWS_ENDPOINT_URL_S3);
}

export function createS3Client(env: NodeJS.ProcessEnv = process.env): S3Client {
  // Emulators answer on one host name, so bucket names go in the path rather than the host name.
  // Real AWS (no endpoint override) keeps virtual-hosted-style addressing.
  return new S3Client({ forcePathStyle: usesCustomEndpoint(env) });
}

export function createSqsClient(): SQSClient {
  return new SQSClient({});
}
