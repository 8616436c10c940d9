import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { changeVisibility, SQS_BATCH_SIZE } from '../../../src/aws/change-visibility';
import { parseImageMessage } from '../../../src/thumbnail/s3-event';
import { sqs, type Stack } from '../../support/stack';

export interface DeadLetter {
  /** SQS's id of the message: a message read twice has one id, two dead letters for one object have two. */
  messageId: string;
  keys: string[];
  attributes: Record<string, string | undefined>;
  receiptHandle: string;
}

/** How long a message read stays hidden from the next receive, so that the queue is read through. */
const HIDE_WHILE_READING_SECONDS = 30;

function toDeadLetter(message: Message): DeadLetter {
  let keys: string[] = [];
  try {
    const parsed = parseImageMessage(message.Body ?? '');
    keys = parsed.kind === 'objects' ? parsed.objects.map((object) => object.key) : [];
  } catch {
    // Not an S3 event: matched by its body below.
  }
  const attributes = Object.fromEntries(
    Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [name, value.StringValue]),
  );
  return { messageId: message.MessageId!, keys, attributes, receiptHandle: message.ReceiptHandle! };
}

/** Dead letters naming objects under `prefix`, or, for bodies that are not S3 events, mentioning it. */
function isUnder(prefix: string, message: Message, letter: DeadLetter): boolean {
  return letter.keys.length > 0
    ? letter.keys.some((key) => key.startsWith(prefix))
    : (message.Body?.includes(prefix) ?? false);
}

/** One receive of up to 10 messages, each hidden while the queue is read through. */
async function receive(stack: Stack): Promise<Message[]> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: stack.deadLetterQueueUrl,
      MaxNumberOfMessages: SQS_BATCH_SIZE,
      MessageAttributeNames: ['All'],
      VisibilityTimeout: HIDE_WHILE_READING_SECONDS,
      WaitTimeSeconds: 1,
    }),
  );
  return Messages;
}

/** Makes messages that were read visible again after `seconds` (0: at once). */
async function release(stack: Stack, letters: Iterable<DeadLetter>, seconds = 0): Promise<void> {
  const changes = [...letters].map(({ receiptHandle }) => ({ receiptHandle, visibilityTimeoutSeconds: seconds }));
  await changeVisibility(sqs, stack.deadLetterQueueUrl, changes);
}

/**
 * Every dead-letter message under `prefix` now in the queue: reads the whole queue through (hiding what
 * it has read, so that each receive returns new messages), then makes every message visible again, or
 * leaves those under `prefix` hidden for `hideForSeconds`.
 */
export async function deadLettersFor(stack: Stack, prefix: string, hideForSeconds = 0): Promise<DeadLetter[]> {
  const ours = new Map<string, DeadLetter>();
  const others = new Map<string, DeadLetter>();
  for (;;) {
    const messages = await receive(stack);
    const fresh = messages.filter(({ MessageId }) => !ours.has(MessageId!) && !others.has(MessageId!));
    for (const message of messages) {
      const letter = toDeadLetter(message);
      (isUnder(prefix, message, letter) ? ours : others).set(letter.messageId, letter);
    }
    // Everything there was has been read once the queue has nothing left that is not hidden by us.
    if (fresh.length === 0) break;
  }
  await release(stack, others.values());
  await release(stack, ours.values(), hideForSeconds);
  return [...ours.values()];
}

/** Deletes dead-letter messages by their receipt handles. */
export async function deleteDeadLetters(stack: Stack, letters: readonly DeadLetter[]): Promise<void> {
  for (let start = 0; start < letters.length; start += SQS_BATCH_SIZE) {
    const { Failed = [] } = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: stack.deadLetterQueueUrl,
        Entries: letters.slice(start, start + SQS_BATCH_SIZE).map((letter, index) => ({
          Id: String(index),
          ReceiptHandle: letter.receiptHandle,
        })),
      }),
    );
    if (Failed.length > 0) throw new Error(`could not delete dead letters: ${JSON.stringify(Failed)}`);
  }
}

/**
 * Reads and deletes every dead-letter message under `prefix` until one naming each of `expectKeys` has
 * been read and then nothing more of ours has arrived for `quietMs` (so that a late duplicate is caught
 * too; with 0, until a receive brings nothing new of ours), or until `timeoutMs` has passed. Returns
 * every message read, once each (a message SQS delivers to this reader twice keeps its id): two letters
 * for one key are two dead letters for one object. Messages of other prefixes stay in the queue,
 * visible again at the end.
 */
export async function takeDeadLetters(
  stack: Stack,
  prefix: string,
  { expectKeys, timeoutMs, quietMs = 5_000 }: { expectKeys: readonly string[]; timeoutMs: number; quietMs?: number },
): Promise<{ letters: DeadLetter[]; missing: string[] }> {
  const ours = new Map<string, DeadLetter>();
  const others = new Map<string, DeadLetter>();
  const missing = new Set(expectKeys);
  const deadline = Date.now() + timeoutMs;
  let lastOfOursAt = Date.now();
  for (;;) {
    const read = (await receive(stack)).map((message) => ({ message, letter: toDeadLetter(message) }));
    const mine = read.filter(({ message, letter }) => isUnder(prefix, message, letter)).map(({ letter }) => letter);
    for (const { message, letter } of read) if (!isUnder(prefix, message, letter)) others.set(letter.messageId, letter);
    await deleteDeadLetters(stack, mine);
    let fresh = false;
    for (const letter of mine) {
      if (!ours.has(letter.messageId)) fresh = true;
      ours.set(letter.messageId, letter);
      for (const key of letter.keys) missing.delete(key);
    }
    if (fresh) lastOfOursAt = Date.now();
    if (Date.now() >= deadline) break;
    if (missing.size === 0 && !fresh && Date.now() - lastOfOursAt >= quietMs) break;
  }
  await release(stack, others.values());
  return { letters: [...ours.values()], missing: [...missing] };
}
