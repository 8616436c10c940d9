import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
  type BatchResultErrorEntry,
  type Message,
  type MessageAttributeValue,
  type SendMessageBatchRequestEntry,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';

export interface FakeMessage {
  id: string;
  body: string;
  attributes?: Record<string, MessageAttributeValue>;
  /** SQS's SentTimestamp, in the fake's clock; messages given to fakeSqs were sent at 0. */
  sentAt?: number;
  /** ApproximateReceiveCount: receives so far (a dead letter SQS moved keeps its count). */
  receiveCount?: number;
  /** In flight until this time (fake clock, ms); visible from then on. */
  invisibleUntil?: number;
  /** The receipt handle of the latest receive; earlier ones are stale. */
  receipt?: string;
}

export interface FakeQueues {
  /** Messages by queue URL, in the order they were sent. */
  queues: Map<string, FakeMessage[]>;
  /** The fake clock, in ms. Only tests (and waits the fake models, see below) move it. */
  now: number;
  /** Added to the clock by every call, as the round trip to SQS would take. */
  callLatencyMs: number;
  /** Entry ids (positions within a batch, as strings) whose send SQS should refuse, per call number. */
  failSendEntries: (call: number) => string[];
  /** Receipt handles whose deletion SQS should refuse. */
  failDeleteReceipts: Set<string>;
  sendError: Error | undefined;
  deleteError: Error | undefined;
  changeVisibilityError: Error | undefined;
  /**
   * When set, every message sent is also put straight back into this queue, as if whatever consumes
   * the target queue failed it again at once (dead-lettering it).
   */
  echoSendsTo: string | undefined;
}

/** The visibility timeout of a queue created without one, used when a receive names none. */
const DEFAULT_VISIBILITY_SECONDS = 30;
const MAX_VISIBILITY_SECONDS = 43_200;

/** An error shaped as the SDK throws it for SQS: its name is SQS's error code. */
export function sqsError(code: string, message: string): Error {
  return Object.assign(new Error(`${code}: ${message}`), { name: code });
}

function checkBatch(entries: readonly { Id?: string }[] | undefined): void {
  if (!entries || entries.length === 0) throw sqsError('EmptyBatchRequest', 'no entries');
  if (entries.length > 10) throw sqsError('TooManyEntriesInBatchRequest', `${entries.length} entries`);
  if (new Set(entries.map((entry) => entry.Id)).size !== entries.length) {
    throw sqsError('BatchEntryIdsNotDistinct', 'two entries share an Id');
  }
}

function checkVisibility(seconds: number): void {
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > MAX_VISIBILITY_SECONDS) {
    throw sqsError('InvalidParameterValue', `VisibilityTimeout ${seconds}`);
  }
}

/** Names as SQS matches them: `All`, `.*`, an exact name, or a prefix ending in `.*`. */
function wanted(names: readonly string[] | undefined, name: string): boolean {
  return (names ?? []).some(
    (want) =>
      want === 'All' || want === '.*' || want === name || (want.endsWith('.*') && name.startsWith(want.slice(0, -2))),
  );
}

export interface FakeSqsOptions {
  /**
   * For code that runs on timers (the worker's heartbeats): the clock is Date.now() (which jest's fake
   * timers move; setting `state.now` shifts it), and a long poll that finds nothing waits on a timer, as
   * SQS does, until a message becomes visible or its WaitTimeSeconds pass, instead of moving the clock.
   */
  readonly onTimers?: boolean;
}

/** How often a waiting long poll looks for a visible message again (timer mode). */
const LONG_POLL_LOOK_MS = 50;

/**
 * An in-memory model of the SQS calls the functions use, behind aws-sdk-client-mock, so tests assert what
 * ends up in which queue rather than which calls were made. Visibility works as in SQS, on a clock the
 * test controls: a received message is invisible until its visibility timeout passes or is changed;
 * every receive counts (ApproximateReceiveCount) and issues a new receipt handle, which makes the earlier
 * ones stale; at most 10 messages a receive; attributes only when asked for by name. SQS promises no
 * order; the fake returns the messages visible longest first (one made visible again goes to the back).
 */
export function fakeSqs(initial: Record<string, FakeMessage[]>, { onTimers = false }: FakeSqsOptions = {}) {
  const sqs = mockClient(SQSClient);
  const state: FakeQueues = {
    queues: new Map(Object.entries(initial).map(([url, messages]) => [url, messages.map((m) => ({ ...m }))])),
    now: 1_000,
    callLatencyMs: 0,
    failSendEntries: () => [],
    failDeleteReceipts: new Set(),
    sendError: undefined,
    deleteError: undefined,
    changeVisibilityError: undefined,
    echoSendsTo: undefined,
  };
  if (onTimers) {
    let offsetMs = 0;
    Object.defineProperty(state, 'now', {
      get: () => Date.now() + offsetMs,
      set: (value: number) => (offsetMs = value - Date.now()),
    });
  }
  const queue = (url: string | undefined) => {
    if (!url || !state.queues.has(url)) throw sqsError('AWS.SimpleQueueService.NonExistentQueue', `${url}`);
    return state.queues.get(url)!;
  };
  /** Every receipt handle issued, and the message it was issued for. */
  const receipts = new Map<string, FakeMessage>();
  let receiptCount = 0;
  let sendCalls = 0;
  let sentCount = 0;
  const call = () => {
    state.now += state.callLatencyMs;
  };
  const inFlight = (message: FakeMessage) => (message.invisibleUntil ?? 0) > state.now;

  /** Why SQS refuses a visibility change for this receipt handle, or undefined when it accepts it. */
  const visibilityRefusal = (url: string | undefined, receipt: string | undefined) => {
    const message = receipt === undefined ? undefined : receipts.get(receipt);
    if (!message || !queue(url).includes(message)) return 'ReceiptHandleIsInvalid';
    if (message.receipt !== receipt || !inFlight(message)) return 'MessageNotInflight';
    return undefined;
  };

  const send = (
    url: string | undefined,
    body: string | undefined,
    attributes?: Record<string, MessageAttributeValue>,
  ) => {
    const target = queue(url);
    const copy = { body: body ?? '', attributes, sentAt: state.now };
    sentCount += 1;
    target.push({ id: `sent-${sentCount}`, ...copy });
    if (state.echoSendsTo) queue(state.echoSendsTo).push({ id: `failed-again-${sentCount}`, ...copy });
  };

  sqs.on(ReceiveMessageCommand).callsFake(async (input) => {
    call();
    const source = queue(input.QueueUrl);
    const max = input.MaxNumberOfMessages ?? 1;
    if (!Number.isInteger(max) || max < 1 || max > 10) {
      throw sqsError('InvalidParameterValue', `MaxNumberOfMessages ${max} is not from 1 to 10`);
    }
    const hold = input.VisibilityTimeout ?? DEFAULT_VISIBILITY_SECONDS;
    checkVisibility(hold);
    const lookForVisible = () =>
      source
        .map((message, position) => ({ message, position }))
        .filter(({ message }) => !inFlight(message))
        .sort((a, b) => (a.message.invisibleUntil ?? 0) - (b.message.invisibleUntil ?? 0) || a.position - b.position)
        .slice(0, max)
        .map(({ message }) => message);
    let visible = lookForVisible();
    // A long poll that finds nothing waits it out (on timers: until a message becomes visible).
    const waitMs = (input.WaitTimeSeconds ?? 0) * 1_000;
    if (visible.length === 0 && !onTimers) state.now += waitMs;
    for (const until = state.now + waitMs; onTimers && visible.length === 0 && state.now < until;) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(LONG_POLL_LOOK_MS, until - state.now)));
      visible = lookForVisible();
    }
    const systemNames = input.MessageSystemAttributeNames ?? input.AttributeNames;
    const messages: Message[] = visible.map((message) => {
      message.receiveCount = (message.receiveCount ?? 0) + 1;
      message.invisibleUntil = state.now + hold * 1_000;
      message.receipt = `receipt-${++receiptCount}`;
      receipts.set(message.receipt, message);
      const system: Record<string, string> = {
        SentTimestamp: String(message.sentAt ?? 0),
        ApproximateReceiveCount: String(message.receiveCount),
      };
      const attributes = Object.entries(message.attributes ?? {}).filter(([name]) =>
        wanted(input.MessageAttributeNames, name),
      );
      const selected = Object.entries(system).filter(([name]) => wanted(systemNames, name));
      return {
        MessageId: message.id,
        Body: message.body,
        ReceiptHandle: message.receipt,
        ...(attributes.length > 0 ? { MessageAttributes: Object.fromEntries(attributes) } : {}),
        ...(selected.length > 0 ? { Attributes: Object.fromEntries(selected) } : {}),
      };
    });
    return messages.length > 0 ? { Messages: messages } : {};
  });

  sqs.on(GetQueueAttributesCommand).callsFake(async (input) => {
    call();
    const messages = queue(input.QueueUrl);
    const all: Record<string, string> = {
      ApproximateNumberOfMessages: String(messages.filter((m) => !inFlight(m)).length),
      ApproximateNumberOfMessagesNotVisible: String(messages.filter(inFlight).length),
      ApproximateNumberOfMessagesDelayed: '0',
    };
    return {
      Attributes: Object.fromEntries(Object.entries(all).filter(([name]) => wanted(input.AttributeNames, name))),
    };
  });

  sqs.on(SendMessageCommand).callsFake(async (input) => {
    call();
    if (state.sendError) throw state.sendError;
    send(input.QueueUrl, input.MessageBody, input.MessageAttributes);
    return { MessageId: `sent-${sentCount}` };
  });

  sqs.on(SendMessageBatchCommand).callsFake(async (input) => {
    call();
    sendCalls += 1;
    checkBatch(input.Entries);
    if (state.sendError) throw state.sendError;
    const refused = new Set<string | undefined>(state.failSendEntries(sendCalls));
    const entries: SendMessageBatchRequestEntry[] = input.Entries ?? [];
    for (const entry of entries.filter((e) => !refused.has(e.Id))) {
      if (Object.keys(entry.MessageAttributes ?? {}).length > 10) {
        throw sqsError('InvalidParameterValue', 'more than 10 message attributes');
      }
      send(input.QueueUrl, entry.MessageBody, entry.MessageAttributes);
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

  sqs.on(DeleteMessageBatchCommand).callsFake(async (input) => {
    call();
    checkBatch(input.Entries);
    if (state.deleteError) throw state.deleteError;
    const source = queue(input.QueueUrl);
    const successful = [];
    const failed: BatchResultErrorEntry[] = [];
    for (const entry of input.Entries ?? []) {
      const message = entry.ReceiptHandle === undefined ? undefined : receipts.get(entry.ReceiptHandle);
      if (!message) {
        failed.push({ Id: entry.Id, Code: 'ReceiptHandleIsInvalid', SenderFault: true });
        continue;
      }
      if (state.failDeleteReceipts.has(entry.ReceiptHandle!)) {
        failed.push({ Id: entry.Id, Code: 'InternalError', SenderFault: false });
        continue;
      }
      // SQS: with a stale receipt handle "the request succeeds, but the message might not be deleted".
      const index = source.indexOf(message);
      if (index >= 0 && message.receipt === entry.ReceiptHandle) source.splice(index, 1);
      successful.push({ Id: entry.Id });
    }
    return { Successful: successful, Failed: failed };
  });

  sqs.on(DeleteMessageCommand).callsFake(async (input) => {
    call();
    if (state.deleteError) throw state.deleteError;
    const source = queue(input.QueueUrl);
    const message = input.ReceiptHandle === undefined ? undefined : receipts.get(input.ReceiptHandle);
    if (!message) throw sqsError('ReceiptHandleIsInvalid', `receipt handle ${input.ReceiptHandle}`);
    if (state.failDeleteReceipts.has(input.ReceiptHandle!)) throw sqsError('InternalError', 'delete refused');
    // As DeleteMessageBatch: a stale receipt handle succeeds without deleting.
    const index = source.indexOf(message);
    if (index >= 0 && message.receipt === input.ReceiptHandle) source.splice(index, 1);
    return {};
  });

  sqs.on(ChangeMessageVisibilityBatchCommand).callsFake(async (input) => {
    call();
    checkBatch(input.Entries);
    if (state.changeVisibilityError) throw state.changeVisibilityError;
    const source = queue(input.QueueUrl);
    const successful = [];
    const failed: BatchResultErrorEntry[] = [];
    for (const entry of input.Entries ?? []) {
      checkVisibility(entry.VisibilityTimeout ?? 0);
      const refusal = visibilityRefusal(input.QueueUrl, entry.ReceiptHandle);
      if (refusal) {
        failed.push({ Id: entry.Id, Code: refusal, SenderFault: true });
        continue;
      }
      const message = source.find((m) => m.receipt === entry.ReceiptHandle)!;
      message.invisibleUntil = state.now + (entry.VisibilityTimeout ?? 0) * 1_000;
      successful.push({ Id: entry.Id });
    }
    return { Successful: successful, Failed: failed };
  });

  sqs.on(ChangeMessageVisibilityCommand).callsFake(async (input) => {
    call();
    if (state.changeVisibilityError) throw state.changeVisibilityError;
    checkVisibility(input.VisibilityTimeout ?? 0);
    const refusal = visibilityRefusal(input.QueueUrl, input.ReceiptHandle);
    if (refusal) throw sqsError(refusal, `receipt handle ${input.ReceiptHandle}`);
    const message = receipts.get(input.ReceiptHandle!)!;
    message.invisibleUntil = state.now + (input.VisibilityTimeout ?? 0) * 1_000;
    return {};
  });

  /** The fake's clock, for code that waits (sleeping moves it at once). */
  const clock = {
    now: () => state.now,
    sleep: async (ms: number) => {
      state.now += ms;
    },
  };
  /** Messages of `url` nobody holds right now. */
  const visible = (url: string) => queue(url).filter((message) => !inFlight(message));

  return { client: abortable(new SQSClient({ region: 'us-east-1' })), state, mock: sqs, clock, visible };
}

/**
 * As the SDK does, a call whose `abortSignal` fires rejects at once with an AbortError, whatever SQS did
 * with the request meanwhile (an aborted long poll may still have received, and hidden, messages).
 */
function abortable(client: SQSClient): SQSClient {
  const send = client.send.bind(client) as (
    command: unknown,
    options?: { abortSignal?: AbortSignal },
  ) => Promise<unknown>;
  const sendAbortably = (command: unknown, options?: { abortSignal?: AbortSignal }) => {
    const signal = options?.abortSignal;
    if (!signal) return send(command, options);
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(Object.assign(new Error('Request aborted'), { name: 'AbortError' }));
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      send(command, options)
        .then(resolve, reject)
        .finally(() => signal.removeEventListener('abort', onAbort));
    });
  };
  client.send = sendAbortably as SQSClient['send'];
  return client;
}

export function messages(count: number, prefix = 'm'): FakeMessage[] {
  return Array.from({ length: count }, (_, i) => ({ id: `${prefix}${i}`, body: `{"n":${i}}` }));
}
