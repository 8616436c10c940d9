import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
  type MessageAttributeValue,
  type SendMessageBatchRequestEntry,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';

export interface FakeMessage {
  id: string;
  body: string;
  attributes?: Record<string, MessageAttributeValue>;
  /** Hidden by a receive until visibility is changed back (the fake has no clock). */
  hidden?: boolean;
  receipt?: string;
  /** SQS's SentTimestamp; messages given to fakeSqs were sent at 0. */
  sentAt?: number;
}

export interface FakeQueues {
  /** Messages by queue URL. */
  queues: Map<string, FakeMessage[]>;
  /** Entry ids (positions within a batch, as strings) whose send SQS should refuse, per call number. */
  failSendEntries: (call: number) => string[];
  /** Receipt handles whose deletion SQS should refuse. */
  failDeleteReceipts: Set<string>;
  sendError: Error | undefined;
  deleteError: Error | undefined;
  /**
   * When set, every message sent is also put straight back into this queue, as if whatever consumes
   * the target queue failed it again at once (dead-lettering it).
   */
  echoSendsTo: string | undefined;
  /** The time messages sent through the fake are stamped with. */
  clock: number;
}

/**
 * An in-memory model of the few SQS calls the redrive uses, behind aws-sdk-client-mock, so tests can
 * assert what ends up in which queue rather than which calls were made.
 */
export function fakeSqs(initial: Record<string, FakeMessage[]>) {
  const sqs = mockClient(SQSClient);
  const state: FakeQueues = {
    queues: new Map(Object.entries(initial).map(([url, messages]) => [url, messages.map((m) => ({ ...m }))])),
    failSendEntries: () => [],
    failDeleteReceipts: new Set(),
    sendError: undefined,
    deleteError: undefined,
    echoSendsTo: undefined,
    clock: 1_000,
  };
  const queue = (url: string | undefined) => {
    if (!url || !state.queues.has(url)) throw new Error(`AWS.SimpleQueueService.NonExistentQueue: ${url}`);
    return state.queues.get(url)!;
  };
  let receipts = 0;
  let sendCalls = 0;

  sqs.on(ReceiveMessageCommand).callsFake((input) => {
    const visible = queue(input.QueueUrl)
      .filter((m) => !m.hidden)
      .slice(0, input.MaxNumberOfMessages ?? 1);
    for (const message of visible) {
      message.hidden = true;
      message.receipt = `receipt-${++receipts}`;
    }
    return {
      Messages: visible.map((m) => ({
        MessageId: m.id,
        Body: m.body,
        ReceiptHandle: m.receipt,
        MessageAttributes: m.attributes,
        Attributes: { SentTimestamp: String(m.sentAt ?? 0) },
      })),
    };
  });
  sqs.on(SendMessageBatchCommand).callsFake((input) => {
    sendCalls += 1;
    if (state.sendError) throw state.sendError;
    const target = queue(input.QueueUrl);
    const refused = new Set<string | undefined>(state.failSendEntries(sendCalls));
    const entries: SendMessageBatchRequestEntry[] = input.Entries ?? [];
    for (const entry of entries.filter((e) => !refused.has(e.Id))) {
      const copy = { body: entry.MessageBody ?? '', attributes: entry.MessageAttributes, sentAt: state.clock };
      target.push({ id: `copy-of-${entry.Id}-${sendCalls}`, ...copy });
      if (state.echoSendsTo) queue(state.echoSendsTo).push({ id: `failed-again-${entry.Id}-${sendCalls}`, ...copy });
    }
    return {
      Successful: entries
        .filter((e) => !refused.has(e.Id))
        .map((e) => ({ Id: e.Id, MessageId: 'm', MD5OfMessageBody: '' })),
      Failed: entries
        .filter((e) => refused.has(e.Id))
        .map((e) => ({ Id: e.Id, Code: 'InternalError', SenderFault: false })),
    };
  });
  sqs.on(DeleteMessageBatchCommand).callsFake((input) => {
    if (state.deleteError) throw state.deleteError;
    const source = queue(input.QueueUrl);
    const failed = [];
    for (const entry of input.Entries ?? []) {
      if (entry.ReceiptHandle && state.failDeleteReceipts.has(entry.ReceiptHandle)) {
        failed.push({ Id: entry.Id, Code: 'InternalError', SenderFault: false });
        continue;
      }
      const index = source.findIndex((m) => m.receipt === entry.ReceiptHandle);
      if (index >= 0) source.splice(index, 1);
    }
    return { Successful: [], Failed: failed };
  });
  sqs.on(ChangeMessageVisibilityBatchCommand).callsFake((input) => {
    const source = queue(input.QueueUrl);
    for (const entry of input.Entries ?? []) {
      const message = source.find((m) => m.receipt === entry.ReceiptHandle);
      if (message && entry.VisibilityTimeout === 0) message.hidden = false;
    }
    return { Successful: [], Failed: [] };
  });

  return { client: new SQSClient({ region: 'us-east-1' }), state, mock: sqs };
}

export function messages(count: number, prefix = 'm'): FakeMessage[] {
  return Array.from({ length: count }, (_, i) => ({ id: `${prefix}${i}`, body: `{"n":${i}}` }));
}
