/**
 * The clients' timeouts, against a local HTTP server that accepts connections and then stalls: the
 * failure the timeouts exist for. Without them every call below would hang until jest gives up.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { NodeHttpHandler } from '@smithy/node-http-handler';
import {
  CONNECTION_TIMEOUT_MS,
  createS3Client,
  createSqsClient,
  RESPONSE_TIMEOUT_MS,
  SQS_LONGEST_POLL_SECONDS,
} from '../../../src/aws/clients';

jest.setTimeout(4 * RESPONSE_TIMEOUT_MS);

const SLOW_ANSWER_MS = RESPONSE_TIMEOUT_MS + 1_000;
let server: Server;
const sockets = new Set<Socket>();
const savedEnv = { ...process.env };

function route(request: IncomingMessage, response: ServerResponse): void {
  const target = String(request.headers['x-amz-target'] ?? '');
  if (request.url?.startsWith('/bucket/headers-then-silence')) {
    // The body starts, then nothing more: a download that stalls half-way.
    response.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': '1000' });
    response.write(Buffer.alloc(100));
  } else if (target === 'AmazonSQS.ReceiveMessage') {
    // A long poll: SQS answers only when its WaitTimeSeconds is up.
    setTimeout(() => {
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      response.end('{"Messages":[]}');
    }, SLOW_ANSWER_MS);
  }
  // Anything else: accepted, read, never answered.
}

beforeAll(async () => {
  server = createServer(route);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    // One attempt, so that the time to fail is the timeout itself rather than three of them.
    AWS_MAX_ATTEMPTS: '1',
  });
});

afterAll(async () => {
  process.env = savedEnv;
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
});

async function timeToFail(call: () => Promise<unknown>): Promise<{ ms: number; error: Error }> {
  const started = performance.now();
  try {
    await call();
  } catch (error) {
    return { ms: performance.now() - started, error: error as Error };
  }
  throw new Error('the call succeeded against a server that never answers');
}

describe('AWS clients', () => {
  it.concurrent('an S3 request whose response never comes fails as a timeout, not a hung function', async () => {
    const s3 = createS3Client();
    const { ms, error } = await timeToFail(() => s3.send(new GetObjectCommand({ Bucket: 'bucket', Key: 'silence' })));
    expect(error.name).toBe('TimeoutError');
    expect(ms).toBeGreaterThanOrEqual(RESPONSE_TIMEOUT_MS - 100);
    expect(ms).toBeLessThan(RESPONSE_TIMEOUT_MS + 2_000);
  });

  it.concurrent('an S3 download that stalls half-way fails as a timeout', async () => {
    const s3 = createS3Client();
    const response = await s3.send(new GetObjectCommand({ Bucket: 'bucket', Key: 'headers-then-silence' }));
    const { ms, error } = await timeToFail(() => response.Body!.transformToByteArray());
    expect(error.name).toBe('TimeoutError');
    expect(ms).toBeLessThan(RESPONSE_TIMEOUT_MS + 2_000);
  });

  it.concurrent('an SQS call of a client that never long-polls fails within the response timeout', async () => {
    const sqs = createSqsClient({ longestPollSeconds: 0 });
    const { ms, error } = await timeToFail(() =>
      sqs.send(
        new SendMessageCommand({ QueueUrl: `${process.env.AWS_ENDPOINT_URL}/000000000000/q`, MessageBody: 'x' }),
      ),
    );
    expect(error.name).toBe('TimeoutError');
    expect(ms).toBeLessThan(RESPONSE_TIMEOUT_MS + 2_000);
  });

  it.concurrent('an SQS long poll may take longer than the response timeout by default', async () => {
    const sqs = createSqsClient();
    const started = performance.now();
    const answer = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: `${process.env.AWS_ENDPOINT_URL}/000000000000/q`, WaitTimeSeconds: 6 }),
    );
    expect(answer.Messages).toEqual([]);
    expect(performance.now() - started).toBeGreaterThan(RESPONSE_TIMEOUT_MS);
  });

  it('bounds connection set-up on both clients, and lets SQS long polls run their full length', async () => {
    const s3 = createS3Client();
    const sqs = createSqsClient();
    // The handler resolves its configuration on first use.
    await Promise.allSettled([
      s3.send(new GetObjectCommand({ Bucket: 'bucket', Key: 'headers-then-silence' })),
      sqs.send(new ReceiveMessageCommand({ QueueUrl: `${process.env.AWS_ENDPOINT_URL}/000000000000/q` })),
    ]);
    const s3Handler = (s3.config.requestHandler as NodeHttpHandler).httpHandlerConfigs();
    const sqsHandler = (sqs.config.requestHandler as NodeHttpHandler).httpHandlerConfigs();
    expect(s3Handler.connectionTimeout).toBe(CONNECTION_TIMEOUT_MS);
    expect(sqsHandler.connectionTimeout).toBe(CONNECTION_TIMEOUT_MS);
    expect(sqsHandler.requestTimeout).toBe(RESPONSE_TIMEOUT_MS + SQS_LONGEST_POLL_SECONDS * 1000);
  });
});
