import {
  DeleteRuleCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import { eventually } from '../../support/eventually';
import { sqs } from '../../support/stack';
import { thumbnailFunctionEnvironment } from './thumbnail-function';

const eventBridge = new EventBridgeClient({});

/** An EventBridge event as a rule delivers it to an SQS queue. */
export interface DeliveredEvent {
  source: string;
  'detail-type': string;
  detail: Record<string, unknown>;
}

export interface EventCapture {
  /** Every event delivered so far (each once), in order of arrival. */
  read(): Promise<DeliveredEvent[]>;
  close(): Promise<void>;
}

/**
 * Subscribes, as a user of the pipeline would, to the thumbnail events about keys under `prefix`: a rule
 * on `eventBusName` that sends them to a queue of the test's own. `close` removes both.
 */
export async function captureThumbnailEvents(eventBusName: string, prefix: string): Promise<EventCapture> {
  const name = `${prefix}-events`.slice(0, 64);
  const { QueueUrl: queueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  await eventBridge.send(
    new PutRuleCommand({
      Name: name,
      EventBusName: eventBusName,
      EventPattern: JSON.stringify({ source: ['thumbnails'], detail: { key: [{ prefix }] } }),
    }),
  );
  await eventBridge.send(
    new PutTargetsCommand({
      Rule: name,
      EventBusName: eventBusName,
      Targets: [{ Id: 'queue', Arn: Attributes.QueueArn }],
    }),
  );
  const delivered: DeliveredEvent[] = [];
  return {
    async read() {
      for (;;) {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
        );
        if (Messages.length === 0) return [...delivered];
        delivered.push(...Messages.map((message) => JSON.parse(message.Body!) as DeliveredEvent));
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: Messages.map((message, i) => ({ Id: String(i), ReceiptHandle: message.ReceiptHandle! })),
          }),
        );
      }
    },
    async close() {
      await eventBridge.send(new RemoveTargetsCommand({ Rule: name, EventBusName: eventBusName, Ids: ['queue'] }));
      await eventBridge.send(new DeleteRuleCommand({ Name: name, EventBusName: eventBusName }));
      await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
    },
  };
}

/**
 * For one test file: captures the stack's thumbnail events for keys under `prefix` from beforeAll to
 * afterAll, and waits for the events of one key and detail type (every delivery of it, in order).
 */
export function useThumbnailEventCapture(prefix: string): {
  eventsFor(key: string, detailType: string): Promise<DeliveredEvent[]>;
} {
  let capture: EventCapture | undefined;
  beforeAll(async () => {
    const { EVENT_BUS_NAME } = await thumbnailFunctionEnvironment();
    capture = await captureThumbnailEvents(EVENT_BUS_NAME!, prefix);
  });
  afterAll(async () => {
    await capture?.close();
  });
  return {
    eventsFor: (key, detailType) =>
      eventually(`a "${detailType}" event for ${key}`, async () => {
        const matching = (await capture!.read()).filter(
          (event) => event['detail-type'] === detailType && event.detail.key === key,
        );
        return matching.length > 0 ? matching : undefined;
      }),
  };
}
