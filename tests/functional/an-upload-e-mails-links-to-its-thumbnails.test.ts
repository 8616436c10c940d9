import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { SNSClient, SubscribeCommand, UnsubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import { eventually } from '../support/eventually';
import { makeJpeg } from '../support/sample-images';
import { download, sqs, STACK_NAME, upload, type Stack } from '../support/stack';
import { useTestPrefix } from './support/test-prefix';

jest.setTimeout(180_000);

const sns = new SNSClient({});

/**
 * The local stage is deployed with a notifyEmail address. The emulator only logs e-mails, so the test
 * reads what the address would get from a queue subscribed to the same topic (raw delivery: the text).
 */
describe('the notifyEmail subscriber', () => {
  const scope = useTestPrefix('notify');
  const { prefix } = scope;
  let stack: Stack;
  let queueUrl: string;
  let subscriptionArn: string;
  const received: { Body: string }[] = [];

  beforeAll(async () => {
    stack = scope.stack;
    const described = await new CloudFormationClient({}).send(new DescribeStacksCommand({ StackName: STACK_NAME }));
    const topicArn = described.Stacks?.[0]?.Outputs?.find(
      (output) => output.OutputKey === 'NotifyTopicArn',
    )?.OutputValue;
    if (!topicArn) throw new Error(`stack ${STACK_NAME} has no NotifyTopicArn output: deployed without notifyEmail?`);
    ({ QueueUrl: queueUrl } = (await sqs.send(new CreateQueueCommand({ QueueName: `${prefix}-mail` }))) as {
      QueueUrl: string;
    });
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
    );
    ({ SubscriptionArn: subscriptionArn } = (await sns.send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: 'sqs',
        Endpoint: Attributes.QueueArn,
        Attributes: { RawMessageDelivery: 'true' },
      }),
    )) as { SubscriptionArn: string });
  });

  afterAll(async () => {
    if (subscriptionArn) await sns.send(new UnsubscribeCommand({ SubscriptionArn: subscriptionArn }));
    if (queueUrl) await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
  });

  async function readMail(): Promise<void> {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    if (Messages.length === 0) return;
    received.push(...Messages.map((message) => ({ Body: message.Body! })));
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((message, i) => ({ Id: String(i), ReceiptHandle: message.ReceiptHandle! })),
      }),
    );
  }

  it('gets one message per upload with a working link to each of its thumbnails', async () => {
    const key = `${prefix}/beach photo.jpg`;
    await upload(stack.imagesBucket, key, await makeJpeg(900, 600));

    const mail = await eventually(`a message about ${key}`, async () => {
      await readMail();
      const about = received.filter((message) => message.Body.includes(`s3://${stack.imagesBucket}/${key} `));
      return about.length > 0 ? about : undefined;
    });

    expect(mail).toHaveLength(1);
    const links = mail[0]!.Body.split('\n').filter((line) => /^https?:\/\//.test(line));
    expect(links).toHaveLength(stack.sizes.length);
    for (const [i, box] of stack.sizes.entries()) {
      const link = new URL(links[i]!);
      expect(decodeURIComponent(link.pathname)).toContain(`${key}/${box.label}.jpg`);
      expect(link.searchParams.get('X-Amz-Expires')).toBe('3600');
      const response = await fetch(link);
      expect(response.status).toBe(200);
      const stored = await download(stack.thumbnailsBucket, `${key}/${box.label}.jpg`);
      expect(Buffer.from(await response.arrayBuffer()).equals(stored.body)).toBe(true);
    }
  });
});
