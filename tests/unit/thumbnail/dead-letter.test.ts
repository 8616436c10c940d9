import { DeleteMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSMessageAttributes } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { PermanentFailure } from '../../../src/errors';
import { DeadLetterHandOffs, deadLetterRecord, sendToDeadLetterQueue } from '../../../src/thumbnail/dead-letter';
import { sqsRecord } from '../../support/s3-events';

const sqs = mockClient(SQSClient);
const client = new SQSClient({ region: 'us-east-1' });
const DLQ = 'https://sqs.us-east-1.amazonaws.com/000000000000/images-dlq';
const failure = new PermanentFailure('corrupt-image', 'the jpeg data cannot be decoded');
const at = new Date('2026-02-03T04:05:06.000Z');

function recordWith(messageAttributes: SQSMessageAttributes) {
  return { ...sqsRecord('m', 'body'), messageAttributes };
}

async function sentAttributes(messageAttributes: SQSMessageAttributes) {
  await sendToDeadLetterQueue(client, DLQ, recordWith(messageAttributes), failure, at);
  const [call] = sqs.commandCalls(SendMessageCommand);
  return call!.args[0].input.MessageAttributes!;
}

const text = (value: string) => ({ dataType: 'String', stringValue: value });

describe('sendToDeadLetterQueue', () => {
  beforeEach(() => {
    sqs.reset();
    sqs.on(SendMessageCommand).resolves({ MessageId: 'x' });
  });

  it('sends the body unchanged with the failure attributes', async () => {
    await sendToDeadLetterQueue(client, DLQ, sqsRecord('m', '{"Records":[]}'), failure, at);

    expect(sqs.commandCalls(SendMessageCommand).map(({ args: [command] }) => command.input)).toEqual([
      {
        QueueUrl: DLQ,
        MessageBody: '{"Records":[]}',
        MessageAttributes: {
          'failure-code': { DataType: 'String', StringValue: 'corrupt-image' },
          'failure-reason': { DataType: 'String', StringValue: 'PermanentFailure: the jpeg data cannot be decoded' },
          'failed-at': { DataType: 'String', StringValue: '2026-02-03T04:05:06.000Z' },
        },
      },
    ]);
  });

  it("keeps the message's own attributes, in the SQS API's spelling, binary ones as bytes", async () => {
    const attributes = await sentAttributes({
      tenant: text('acme'),
      priority: { dataType: 'Number', stringValue: '7' },
      signature: { dataType: 'Binary', binaryValue: Buffer.from([0, 1, 254, 255]).toString('base64') },
    });

    expect(attributes.tenant).toEqual({ DataType: 'String', StringValue: 'acme', BinaryValue: undefined });
    expect(attributes.priority).toEqual({ DataType: 'Number', StringValue: '7', BinaryValue: undefined });
    expect(attributes.signature!.DataType).toBe('Binary');
    expect(Buffer.from(attributes.signature!.BinaryValue!)).toEqual(Buffer.from([0, 1, 254, 255]));
  });

  it('replaces failure attributes left from an earlier failure (a redriven message) instead of keeping both', async () => {
    const attributes = await sentAttributes({
      'failure-code': text('too-many-bytes'),
      'failure-reason': text('old reason'),
      'failed-at': text('2020-01-01T00:00:00.000Z'),
      tenant: text('acme'),
    });

    expect(attributes['failure-code']!.StringValue).toBe('corrupt-image');
    expect(attributes['failure-reason']!.StringValue).toBe('PermanentFailure: the jpeg data cannot be decoded');
    expect(attributes['failed-at']!.StringValue).toBe('2026-02-03T04:05:06.000Z');
    expect(Object.keys(attributes).sort()).toEqual(['failed-at', 'failure-code', 'failure-reason', 'tenant']);
  });

  it("stays within SQS's 10 attributes: keeps the first 7 of the message's own, then the 3 failure attributes", async () => {
    const own = Object.fromEntries(Array.from({ length: 12 }, (_, index) => [`a${index}`, text(String(index))]));

    const attributes = await sentAttributes(own);

    expect(Object.keys(attributes)).toHaveLength(10);
    expect(Object.keys(attributes)).toEqual([
      'a0',
      'a1',
      'a2',
      'a3',
      'a4',
      'a5',
      'a6',
      'failure-code',
      'failure-reason',
      'failed-at',
    ]);
  });

  it('cuts a long reason to 1,024 characters', async () => {
    const long = new PermanentFailure('corrupt-image', 'x'.repeat(5_000));

    await sendToDeadLetterQueue(client, DLQ, sqsRecord('m', 'body'), long, at);

    const [call] = sqs.commandCalls(SendMessageCommand);
    expect(call!.args[0].input.MessageAttributes!['failure-reason']!.StringValue).toHaveLength(1024);
  });
});

describe('DeadLetterHandOffs', () => {
  it('settles at once when no hand-off is under way', async () => {
    await expect(new DeadLetterHandOffs().settled()).resolves.toBeUndefined();
  });

  it('settles only after every hand-off under way, those started while it waits included, failed ones too', async () => {
    const handOffs = new DeadLetterHandOffs();
    const finished: string[] = [];
    let releaseFirst!: () => void;
    const first = handOffs.run(() =>
      new Promise<void>((resolve) => (releaseFirst = resolve)).then(() => void finished.push('first')),
    );
    const failing = handOffs.run(() => Promise.reject(new Error('send failed')));
    await expect(failing).rejects.toThrow('send failed');
    let settled = false;
    const waiting = handOffs.settled().then(() => (settled = true));
    let releaseLate!: () => void;
    const late = handOffs.run(() =>
      new Promise<void>((resolve) => (releaseLate = resolve)).then(() => void finished.push('late')),
    );
    releaseFirst();
    await first;
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    releaseLate();
    await Promise.all([late, waiting]);
    expect(finished).toEqual(['first', 'late']);
  });
});

describe('deadLetterRecord', () => {
  const SOURCE = 'https://sqs.us-east-1.amazonaws.com/000000000000/images';
  const log = { info: jest.fn(), error: jest.fn(), warn: jest.fn() };
  const events = { publish: jest.fn(async () => undefined) };

  beforeEach(() => sqs.reset());

  it('counts a hand-off as under way from the send to the dead-letter queue until the delete from its queue', async () => {
    const handOffs = new DeadLetterHandOffs();
    const calls: string[] = [];
    let deleteAnswers!: () => void;
    sqs.on(SendMessageCommand).callsFake(async () => {
      calls.push('send');
      return { MessageId: 'x' };
    });
    sqs.on(DeleteMessageCommand).callsFake(async () => {
      calls.push('delete');
      await new Promise<void>((resolve) => (deleteAnswers = resolve));
      return {};
    });
    const record = sqsRecord('m', 'body');
    const deadLettered = deadLetterRecord(record, failure, {
      sqs: client,
      events,
      log,
      deadLetterQueueUrl: DLQ,
      sourceQueueUrl: SOURCE,
      handOffs,
    });
    while (!calls.includes('delete')) await new Promise((resolve) => setImmediate(resolve));
    let settled = false;
    const waiting = handOffs.settled().then(() => (settled = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    deleteAnswers();
    await Promise.all([deadLettered, waiting]);
    expect(calls).toEqual(['send', 'delete']);
    expect(sqs.commandCalls(DeleteMessageCommand)[0]!.args[0].input).toEqual({
      QueueUrl: SOURCE,
      ReceiptHandle: record.receiptHandle,
    });
  });
});
