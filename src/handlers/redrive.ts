import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { createSqsClient } from '../aws/clients';
import { loadRedriveConfig } from '../config';
import { drainQueue, type RedriveSummary } from '../redrive/drain-queue';
import { parseRedriveRequest } from '../redrive/request';

const config = loadRedriveConfig();
const sqs = createSqsClient();
const logger = new Logger({ serviceName: 'redrive' });

/**
 * Invoked by hand (`sls invoke -f redrive [--data '{"dryRun":true,"maxMessages":100}']`) once the cause
 * of the failures is fixed: moves dead-letter messages back to the images queue and returns a summary.
 */
export const handler = middy(async (event: unknown, context: Context): Promise<RedriveSummary> => {
  const request = parseRedriveRequest(event);
  const summary = await drainQueue({
    sqs,
    sourceQueueUrl: config.deadLetterQueueUrl,
    targetQueueUrl: config.imagesQueueUrl,
    dryRun: request.dryRun,
    maxMessages: request.maxMessages,
    hasTimeLeft: () => context.getRemainingTimeInMillis() > config.timeReserveMs,
  });
  logger.info('redrive finished', { ...summary });
  return summary;
}).use(injectLambdaContext(logger));
