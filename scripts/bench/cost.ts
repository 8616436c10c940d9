/**
 * What a thumbnail costs on AWS, from the benchmark's measured milliseconds. Every price in one place:
 * us-east-1 list prices (AWS pricing pages, as of November 2026); other regions differ a little.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './inputs';

export const PRICES = {
  region: 'us-east-1',
  /** Lambda on arm64 (Graviton), per GB-second of duration. */
  lambdaArm64PerGbSecond: 0.0000133334,
  /** Lambda, per invocation. */
  lambdaPerRequest: 0.2 / 1_000_000,
  /** S3 Standard GET, per request. */
  s3GetPerRequest: 0.0004 / 1000,
  /** S3 Standard PUT, per request. */
  s3PutPerRequest: 0.005 / 1000,
  /** SQS standard queue, per request (64 KB chunk). */
  sqsPerRequest: 0.4 / 1_000_000,
} as const;

/** Lambda gives a function one full vCPU at this memory size, and CPU in proportion below it. */
const MB_PER_VCPU = 1769;

/** The thumbnail function's memory size and SQS batch size, as serverless.yml configures them. */
export function thumbnailFunctionSettings(): { memoryMb: number; batchSize: number } {
  const template = readFileSync(join(ROOT, 'serverless.yml'), 'utf8');
  const block = /^ {2}thumbnail:\n((?: {4}.*\n|\n)+)/m.exec(template)?.[1];
  const memoryMb = Number(/^ {4}memorySize: (\d+)$/m.exec(block ?? '')?.[1]);
  const batchSize = Number(/^ {10}batchSize: (\d+)$/m.exec(block ?? '')?.[1]);
  if (!memoryMb || !batchSize) throw new Error('serverless.yml: no memorySize or batchSize for the thumbnail function');
  return { memoryMb, batchSize };
}

export interface CostPerThousand {
  /** Lambda duration for the render alone, at the configured memory's share of a vCPU. */
  readonly lambdaCompute: number;
  /** Invocations (one per batch). */
  readonly lambdaRequests: number;
  /** One GET of the source and one PUT per thumbnail. */
  readonly s3Requests: number;
  /** S3's SendMessage of the notification, and a receive and a delete per batch. */
  readonly sqsRequests: number;
  readonly total: number;
}

/** Dollars per 1,000 images whose render takes `renderMs` on one core of the bench machine. */
export function costPerThousand(
  renderMs: number,
  thumbnails: number,
  { memoryMb, batchSize }: { memoryMb: number; batchSize: number },
): CostPerThousand {
  const vcpuShare = Math.min(1, memoryMb / MB_PER_VCPU);
  const seconds = renderMs / 1000 / vcpuShare;
  const lambdaCompute = 1000 * seconds * (memoryMb / 1024) * PRICES.lambdaArm64PerGbSecond;
  const lambdaRequests = (1000 / batchSize) * PRICES.lambdaPerRequest;
  const s3Requests = 1000 * (PRICES.s3GetPerRequest + thumbnails * PRICES.s3PutPerRequest);
  const sqsRequests = (1000 + (2 * 1000) / batchSize) * PRICES.sqsPerRequest;
  return {
    lambdaCompute,
    lambdaRequests,
    s3Requests,
    sqsRequests,
    total: lambdaCompute + lambdaRequests + s3Requests + sqsRequests,
  };
}
