// First, so that errors thrown while the other modules load are source-mapped too.
import '../source-mapped-stack-traces';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { PublishCommand } from '@aws-sdk/client-sns';
import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import { createS3Client, createSnsClient } from '../aws/clients';
import { loadNotifyConfig } from '../config';
import { composeNotification, parseThumbnailsCreated } from '../notify/notification';
import { presignLinks } from '../notify/presign';

const config = loadNotifyConfig();
const s3 = createS3Client();
const sns = createSnsClient();
const logger = new Logger({ serviceName: 'notify' });

/**
 * One "Thumbnails Created" event (an EventBridge rule, off the thumbnail function's path) -> one SNS
 * message to the notifyEmail subscriber, with a presigned link to each thumbnail.
 */
export const handler = middy(async (event: EventBridgeEvent<string, unknown>): Promise<void> => {
  const upload = parseThumbnailsCreated(event.detail);
  const links = await presignLinks(s3, upload.thumbnails, config.linkExpirySeconds);
  const expiresAt = new Date(Date.now() + config.linkExpirySeconds * 1000);
  const { subject, message } = composeNotification(upload, links, expiresAt);
  await sns.send(new PublishCommand({ TopicArn: config.topicArn, Subject: subject, Message: message }));
  logger.info('notification sent', { bucket: upload.bucket, key: upload.key, thumbnails: links.length });
}).use(injectLambdaContext(logger));
