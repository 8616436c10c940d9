import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';

/**
 * The one place AWS clients are made. Region, credentials and endpoint come from the standard
 * environment (`AWS_REGION`, `AWS_ENDPOINT_URL`, ...), which both Lambda and local emulators set.
 *
 * The SDK sets no timeouts by default: a connection that stalls (a lost packet, a half-open socket)
 * would hold the function until Lambda kills it, and the whole batch would wait out the queue's
 * visibility timeout. With these, a stalled call fails as a TimeoutError, the SDK retries it (3
 * attempts), and if it still fails the record is reported as a transient failure and retried by SQS.
 */

/** TCP (and TLS) connection set-up: milliseconds within a region; 3 s outlasts one lost SYN (resent after 1 s). */
export const CONNECTION_TIMEOUT_MS = 3_000;
/**
 * From sending a request to the response's headers, and the longest silence while a body streams. S3
 * and SQS answer within tens of milliseconds in a region, and a thumbnail uploads in far less; 5 s is
 * room for their slowest answers while three attempts still fit in the function's 60 s timeout.
 */
export const RESPONSE_TIMEOUT_MS = 5_000;
/** SQS's longest long poll (`WaitTimeSeconds`): a receive may legitimately wait this long for an answer. */
export const SQS_LONGEST_POLL_SECONDS = 20;

function usesCustomEndpoint(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.AWS_ENDPOINT_URL || env.AWS_ENDPOINT_URL_S3);
}

/** Options of the SDK's Node.js HTTP handler: `requestTimeout` throws only with `throwOnRequestTimeout`. */
function timeouts(responseTimeoutMs: number) {
  return {
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    // Until the response's headers arrive.
    requestTimeout: responseTimeoutMs,
    throwOnRequestTimeout: true,
    // Idle socket at any point, including while a response body (an image being read) streams.
    socketTimeout: responseTimeoutMs,
  };
}

export function createS3Client(env: NodeJS.ProcessEnv = process.env): S3Client {
  return new S3Client({
    // Emulators answer on one host name, so bucket names go in the path rather than the host name.
    // Real AWS (no endpoint override) keeps virtual-hosted-style addressing.
    forcePathStyle: usesCustomEndpoint(env),
    requestHandler: timeouts(RESPONSE_TIMEOUT_MS),
  });
}

/**
 * `longestPollSeconds`: the longest `WaitTimeSeconds` of a ReceiveMessage made with this client, which
 * SQS may take before it answers. By default any long poll works; a client that never long-polls can
 * pass 0 so that a stalled call fails within RESPONSE_TIMEOUT_MS.
 */
export function createSqsClient({ longestPollSeconds = SQS_LONGEST_POLL_SECONDS } = {}): SQSClient {
  return new SQSClient({ requestHandler: timeouts(RESPONSE_TIMEOUT_MS + longestPollSeconds * 1000) });
}

/** For the thumbnail events (src/aws/event-bus.ts): one PutEvents per object, answered in milliseconds. */
export function createEventBridgeClient(): EventBridgeClient {
  return new EventBridgeClient({ requestHandler: timeouts(RESPONSE_TIMEOUT_MS) });
}

/** For the notify function's one Publish per upload. */
export function createSnsClient(): SNSClient {
  return new SNSClient({ requestHandler: timeouts(RESPONSE_TIMEOUT_MS) });
}
