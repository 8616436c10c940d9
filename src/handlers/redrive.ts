// First, so that errors thrown while the other modules load are source-mapped too.
import '../source-mapped-stack-traces';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { createSqsClient } from '../aws/clients';
import { loadRedriveConfig } from '../config';
import { systemClock } from '../redrive/clock';
import { drainQueue } from '../redrive/drain-queue';
import { parseRedriveRequest } from '../redrive/request';
import type { RedriveSummary } from '../redrive/types';

const config = loadRedriveConfig();
const sqs = createSqsClient();
const logger = new Logger({ serviceName: 'redrive' });

/**
 * Invoked by hand (`sls invoke -f redrive [--data '{"dryRun":true}']`) once the cause of the failures is
 * fixed: moves dead-letter messages back to the images queue and returns a summary. Reserved concurrency 1
 * (serverless.yml): a second invocation while one runs is refused, never run alongside.
 */
export const handler = middy(async (event: unknown, context: Context): Promise<RedriveSummary> => {
  const request = parseRedriveRequest(event);
  const summary = await drainQueue({
    sqs,
    sourceQueueUrl: config.deadLetterQueueUrl,
    targetQueueUrl: config.imagesQueueUrl,
    request,
    limits: config.limits,
    clock: systemClock,
    remainingMs: () => context.getRemainingTimeInMillis(),
  });
  logger.info('redrive finished', { ...summary });
  return summary;
}).use(injectLambdaContext(logger));
