import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { sqs, type Stack } from '../../../scripts/lib/stack';
import { parseImageMessage } from '../../../src/thumbnail/s3-event';

export interface DeadLetter {
  keys: string[];
  attributes: Record<string, string | undefined>;
  receiptHandle: string;
}

/**
 * Dead-letter messages naming objects under `prefix` (or, for bodies that are not S3 events, mentioning
 * it); left visible (visibility timeout 0) for others.
 */
export async function deadLettersFor(stack: Stack, prefix: string): Promise<DeadLetter[]> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: stack.deadLetterQueueUrl,
      MaxNumberOfMessages: 10,
      MessageAttributeNames: ['All'],
      VisibilityTimeout: 0,
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

export async function deleteDeadLetters(stack: Stack, prefix: string): Promise<void> {
  for (const { receiptHandle } of await deadLettersFor(stack, prefix)) {
    await sqs.send(new DeleteMessageCommand({ QueueUrl: stack.deadLetterQueueUrl, ReceiptHandle: receiptHandle }));
  }
}
