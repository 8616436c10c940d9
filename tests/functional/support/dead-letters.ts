import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { sqs, type Stack } from '../../support/stack';
import { parseImageMessage } from '../../../src/thumbnail/s3-event';

export interface DeadLetter {
  keys: string[];
  attributes: Record<string, string | undefined>;
  receiptHandle: string;
}

/**
 * Dead-letter messages naming objects under `prefix` (or, for bodies that are not S3 events, mentioning
 * it), from one receive. Left visible for others unless `hideForSeconds` is given (to read a queue through
 * without seeing a message twice).
 */
export async function deadLettersFor(stack: Stack, prefix: string, hideForSeconds = 0): Promise<DeadLetter[]> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: stack.deadLetterQueueUrl,
      MaxNumberOfMessages: 10,
      MessageAttributeNames: ['All'],
      VisibilityTimeout: hideForSeconds,
      WaitTimeSeconds: 1,
    }),
  );
  return Messages.flatMap((message) => {
    let keys: string[] = [];
    try {
      const parsed = parseImageMessage(message.Body ?? '');
      keys = parsed.kind === 'objects' ? parsed.objects.map((object) => object.key) : [];
    } catch {
      // Not an S3 event: not one of ours.
    }
    const attributes = Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [name, value.StringValue]),
    );
    return keys.some((key) => key.startsWith(prefix)) || (keys.length === 0 && message.Body?.includes(prefix))
      ? [{ keys, attributes, receiptHandle: message.ReceiptHandle! }]
      : [];
  });
}

/** Deletes dead-letter messages by their receipt handles. */
export async function deleteDeadLetters(stack: Stack, letters: readonly DeadLetter[]): Promise<void> {
  for (let start = 0; start < letters.length; start += 10) {
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: stack.deadLetterQueueUrl,
        Entries: letters.slice(start, start + 10).map((letter, index) => ({
          Id: String(index),
          ReceiptHandle: letter.receiptHandle,
        })),
      }),
    );
  }
}
