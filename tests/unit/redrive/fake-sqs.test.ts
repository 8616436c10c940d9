import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import { fakeSqs, messages } from '../../support/fake-sqs';

// The redrive suite is only as good as its fake: these pin down the SQS behaviour it relies on.
const Q = 'https://sqs.us-east-1.amazonaws.com/000000000000/q';

function setup(count = 3) {
  const sqs = fakeSqs({ [Q]: messages(count) });
  const receive = async (input: { max?: number; hold?: number } = {}) => {
    const answer = await sqs.client.send(
      new ReceiveMessageCommand({ QueueUrl: Q, MaxNumberOfMessages: input.max ?? 10, VisibilityTimeout: input.hold }),
    );
    return answer.Messages ?? [];
  };
  return { sqs, receive };
}

afterEach(() => jest.restoreAllMocks());

describe('fakeSqs', () => {
  it('hides a received message until its visibility timeout passes on the test clock', async () => {
    const { sqs, receive } = setup(1);
    expect(await receive({ hold: 30 })).toHaveLength(1);
    expect(await receive()).toHaveLength(0);
    sqs.state.now += 29_999;
    expect(await receive()).toHaveLength(0);
    sqs.state.now += 1;
    expect(await receive({ hold: 0 })).toHaveLength(1);
    expect(await receive()).toHaveLength(1); // a hold of 0 hides nothing
  });

  it('uses the queue default of 30 s when the receive names no visibility timeout', async () => {
    const { sqs, receive } = setup(1);
    await receive();
    sqs.state.now += 29_000;
    expect(await receive()).toHaveLength(0);
    sqs.state.now += 1_000;
    expect(await receive()).toHaveLength(1);
  });

  it('counts receives and returns system and message attributes only when asked for by name', async () => {
    const sqs = fakeSqs({
      [Q]: [
        {
          id: 'a',
          body: 'x',
          sentAt: 5,
          receiveCount: 4,
          attributes: {
            'failure-code': { DataType: 'String', StringValue: 'corrupt-image' },
            other: { DataType: 'String', StringValue: 'o' },
          },
        },
      ],
    });
    const receive = (names: { MessageAttributeNames?: string[]; MessageSystemAttributeNames?: never[] }) =>
      sqs.client.send(new ReceiveMessageCommand({ QueueUrl: Q, VisibilityTimeout: 0, ...names }));

    const bare = await receive({});
    expect(bare.Messages![0]!.MessageAttributes).toBeUndefined();
    expect(bare.Messages![0]!.Attributes).toBeUndefined();

    const named = await receive({
      MessageAttributeNames: ['failure-.*'],
      MessageSystemAttributeNames: ['ApproximateReceiveCount' as never],
    });
    expect(named.Messages![0]!.MessageAttributes).toEqual({
      'failure-code': { DataType: 'String', StringValue: 'corrupt-image' },
    });
    expect(named.Messages![0]!.Attributes).toEqual({ ApproximateReceiveCount: '6' });

    const all = await receive({ MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All' as never] });
    expect(Object.keys(all.Messages![0]!.MessageAttributes!)).toEqual(['failure-code', 'other']);
    expect(all.Messages![0]!.Attributes).toEqual({ SentTimestamp: '5', ApproximateReceiveCount: '7' });
  });

  it('returns at most 10 a receive and refuses to be asked for more', async () => {
    const { receive } = setup(25);
    expect(await receive({ max: 10 })).toHaveLength(10);
    await expect(receive({ max: 11 })).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });

  it('refuses a visibility change for a stale or unknown receipt handle, as SQS does', async () => {
    const { sqs, receive } = setup(1);
    const [first] = await receive({ hold: 0 });
    const [second] = await receive({ hold: 60 });
    const change = (receipt: string | undefined) =>
      sqs.client.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: Q,
          Entries: [{ Id: '0', ReceiptHandle: receipt, VisibilityTimeout: 0 }],
        }),
      );

    expect((await change(first!.ReceiptHandle)).Failed).toEqual([
      { Id: '0', Code: 'MessageNotInflight', SenderFault: true },
    ]);
    expect((await change('nonsense')).Failed).toEqual([{ Id: '0', Code: 'ReceiptHandleIsInvalid', SenderFault: true }]);
    await expect(
      sqs.client.send(
        new ChangeMessageVisibilityCommand({ QueueUrl: Q, ReceiptHandle: 'nonsense', VisibilityTimeout: 0 }),
      ),
    ).rejects.toMatchObject({ name: 'ReceiptHandleIsInvalid' });
    expect(await receive()).toHaveLength(0);

    expect((await change(second!.ReceiptHandle)).Successful).toEqual([{ Id: '0' }]);
    expect(await receive()).toHaveLength(1);
    // Once its visibility timeout has passed, a message is no longer in flight for that handle either.
    expect((await change(second!.ReceiptHandle)).Failed).toEqual([
      { Id: '0', Code: 'MessageNotInflight', SenderFault: true },
    ]);
  });

  it('refuses batches of more than 10 entries', async () => {
    const { sqs } = setup(1);
    const entries = Array.from({ length: 11 }, (_, i) => ({ Id: String(i), ReceiptHandle: 'r' }));
    await expect(
      sqs.client.send(new DeleteMessageBatchCommand({ QueueUrl: Q, Entries: entries })),
    ).rejects.toMatchObject({
      name: 'TooManyEntriesInBatchRequest',
    });
  });

  it('does not delete a message by a stale receipt handle', async () => {
    const { sqs, receive } = setup(1);
    const [first] = await receive({ hold: 0 });
    await receive({ hold: 0 });

    await sqs.client.send(
      new DeleteMessageBatchCommand({ QueueUrl: Q, Entries: [{ Id: '0', ReceiptHandle: first!.ReceiptHandle }] }),
    );

    expect(sqs.state.queues.get(Q)).toHaveLength(1);
  });

  it('deletes one message by its latest receipt handle, ignores a stale one and refuses an unknown one', async () => {
    const { sqs, receive } = setup(2);
    const [first, other] = await receive({ hold: 0 });
    const [again] = await receive({ hold: 0, max: 1 });
    expect(again!.MessageId).toBe(first!.MessageId);
    const remove = (receipt: string | undefined) =>
      sqs.client.send(new DeleteMessageCommand({ QueueUrl: Q, ReceiptHandle: receipt }));

    // SQS: with an older receipt handle "the request succeeds, but the message might not be deleted".
    await expect(remove(first!.ReceiptHandle)).resolves.toEqual({});
    expect(sqs.state.queues.get(Q)!.map((m) => m.id)).toEqual(['m0', 'm1']);
    await remove(again!.ReceiptHandle);
    expect(sqs.state.queues.get(Q)!.map((m) => m.id)).toEqual(['m1']);
    // A message whose visibility timeout has passed is still deleted by its latest handle.
    await remove(other!.ReceiptHandle);
    expect(sqs.state.queues.get(Q)).toEqual([]);
    await expect(remove('nonsense')).rejects.toMatchObject({ name: 'ReceiptHandleIsInvalid' });
  });

  it('counts visible and in-flight messages in the queue attributes', async () => {
    const { sqs, receive } = setup(25);
    await receive({ hold: 30 });

    const { Attributes } = await sqs.client.send(
      new GetQueueAttributesCommand({
        QueueUrl: Q,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );

    expect(Attributes).toEqual({ ApproximateNumberOfMessages: '15', ApproximateNumberOfMessagesNotVisible: '10' });
  });
});
