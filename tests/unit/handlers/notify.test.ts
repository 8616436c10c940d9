import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { EventBridgeEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { thumbnailsCreated } from '../../../src/thumbnail/events';
import { lambdaContext } from '../../support/lambda-context';

const sns = mockClient(SNSClient);
const TOPIC_ARN = 'arn:aws:sns:us-east-1:000000000000:notify';

describe('notify handler', () => {
  let handler: (event: EventBridgeEvent<string, unknown>, context: ReturnType<typeof lambdaContext>) => Promise<void>;

  beforeAll(async () => {
    process.env.NOTIFY_TOPIC_ARN = TOPIC_ARN;
    process.env.NOTIFY_LINK_EXPIRY_SECONDS = '600';
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    process.env.AWS_REGION = 'us-east-1';
    process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret';
    ({ handler } = await import('../../../src/handlers/notify'));
  });

  beforeEach(() => {
    sns.reset();
    sns.on(PublishCommand).resolves({ MessageId: 'message' });
  });

  it('publishes one message per "Thumbnails Created" event, with a link to each thumbnail valid for the configured time', async () => {
    const { detail } = thumbnailsCreated(
      { bucket: 'images', key: 'photo.jpg', size: 1, eTag: 'e' },
      [
        { bucket: 'thumbs', key: 'photo.jpg/75x75.jpg', width: 75, height: 75, bytes: 1, contentType: 'image/jpeg' },
        {
          bucket: 'thumbs',
          key: 'photo.jpg/125x125.jpg',
          width: 125,
          height: 125,
          bytes: 2,
          contentType: 'image/jpeg',
        },
      ],
      10,
    );
    const event = { 'detail-type': 'Thumbnails Created', source: 'thumbnails', detail } as EventBridgeEvent<
      string,
      unknown
    >;

    await handler(event, lambdaContext('notify'));

    const [publish, ...more] = sns.commandCalls(PublishCommand).map(({ args: [command] }) => command.input);
    expect(more).toEqual([]);
    expect(publish).toMatchObject({ TopicArn: TOPIC_ARN, Subject: 'Thumbnails ready: photo.jpg' });
    const urls = publish!.Message!.split('\n').filter((line) => line.startsWith('http'));
    expect(urls.map((url) => new URL(url).pathname)).toEqual(['/photo.jpg/75x75.jpg', '/photo.jpg/125x125.jpg']);
    for (const url of urls) expect(new URL(url).searchParams.get('X-Amz-Expires')).toBe('600');
  });

  it('fails, publishing nothing, for an event that is not "Thumbnails Created"', async () => {
    const event = { 'detail-type': 'Thumbnails Failed', detail: { failureCode: 'corrupt-image' } };

    await expect(handler(event as EventBridgeEvent<string, unknown>, lambdaContext('notify'))).rejects.toThrow(
      'event detail is not that of a "Thumbnails Created" event',
    );
    expect(sns.commandCalls(PublishCommand)).toEqual([]);
  });
});
