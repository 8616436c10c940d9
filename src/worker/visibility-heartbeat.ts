import { ChangeMessageVisibilityCommand, type SQSClient } from '@aws-sdk/client-sqs';

export interface VisibilityHeartbeat {
  /** When the message becomes visible again unless extended (ms, on `now`'s clock). */
  readonly visibleAtMs: number;
  /** Stops extending; resolves once no extension is in flight, so a later visibility change is the last. */
  stop(): Promise<void>;
}

export interface HeartbeatOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly receiptHandle: string;
  /** The visibility timeout the message was received with, and each extension sets again. */
  readonly holdSeconds: number;
  /** When the receive that returned the message was sent: its visibility counts from then at the latest. */
  readonly receivedAtMs: number;
  readonly now: () => number;
  /** An extension SQS refused: the message may be delivered again once its visibility runs out. */
  readonly onError: (error: unknown) => void;
}

/**
 * Keeps a message hidden while it is worked on: every third of the hold, its visibility is set to the
 * whole hold again, so it stays hidden however long the work takes, yet becomes visible within one hold
 * of the worker dying. Two missed extensions in a row still leave a third of the hold.
 */
export function keepInvisible(options: HeartbeatOptions): VisibilityHeartbeat {
  const { sqs, queueUrl, receiptHandle, holdSeconds, now } = options;
  const holdMs = holdSeconds * 1000;
  let visibleAtMs = options.receivedAtMs + holdMs;
  let extending: Promise<void> = Promise.resolve();
  let stopped = false;

  const extend = async () => {
    const sentAtMs = now();
    try {
      await sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queueUrl,
          ReceiptHandle: receiptHandle,
          VisibilityTimeout: holdSeconds,
        }),
      );
      visibleAtMs = sentAtMs + holdMs;
    } catch (error) {
      if (!stopped) options.onError(error);
    }
  };
  const timer = setInterval(
    () => {
      if (!stopped) extending = extending.then(extend);
    },
    Math.max(1, Math.floor(holdMs / 3)),
  );
  // The loop keeps the process alive while there is work; a forgotten heartbeat must not.
  timer.unref();

  return {
    get visibleAtMs() {
      return visibleAtMs;
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await extending;
    },
  };
}
