/** Why a run ended. Everything but `empty`, `all-seen` and a dry run's `sampled` means "run it again". */
export type StopReason =
  /** The dead-letter queue had nothing (more) to receive. */
  | 'empty'
  /** A run with failureCodes has looked at as many messages as the queue held when it started. */
  | 'all-seen'
  /** A dry run has looked at as many messages as it may (see RedriveLimits.dryRunLookAt). */
  | 'sampled'
  | 'max-messages'
  /** The run's time budget is used up: it returns its summary while `sls invoke` still waits for it. */
  | 'time-budget'
  | 'error';

/** One dead letter as a dry run shows it, so an operator sees what is there before moving it. */
export interface RedriveSample {
  /** The first object the S3 event names (decoded), or null when the body is not an S3 event. */
  readonly objectKey: string | null;
  /**
   * `failure-code`; `retries-exhausted` when SQS moved the message after maxReceiveCount receives;
   * `event-not-delivered` when EventBridge put it there (ingest: eventbridge).
   */
  readonly failureCode: string;
  readonly reason: string | null;
  readonly failedAt: string | null;
  /** SQS's ApproximateReceiveCount, the dry run's own receive included. */
  readonly receiveCount: number | null;
}

export interface RedriveSummary {
  readonly dryRun: boolean;
  /** The failureCodes filter of the request, when it had one. */
  readonly failureCodes?: readonly string[];
  /** Messages visible in the dead-letter queue when the run started (SQS's approximate count). */
  readonly inQueueAtStart: number;
  /** Distinct messages this run looked at that were in the queue when it started. */
  readonly found: number;
  /** Found messages sent to the images queue. */
  readonly moved: number;
  /** Found messages whose send SQS refused; they stay in the dead-letter queue. */
  readonly failed: number;
  /** Sent but not deleted from the dead-letter queue: a later run sends them again (harmless, idempotent). */
  readonly notDeleted: number;
  /** Found messages not matching failureCodes: made visible again at once, not moved. */
  readonly notMatching: number;
  /**
   * Messages that reached the dead-letter queue after the run started (new failures, or moved messages
   * that failed again). Left for a later run: moving them again would ping-pong a message that still
   * fails between the queues until the time budget runs out.
   */
  readonly arrivedDuringRun: number;
  /** Found messages by failure code (`retries-exhausted` when they carry none). */
  readonly reasons: Record<string, number>;
  /** A dry run's first few found messages that match failureCodes. */
  readonly samples?: readonly RedriveSample[];
  readonly stoppedBecause: StopReason;
  /** What the operator does next, in words: "run it again" when there may be more to move. */
  readonly next: string;
  readonly error?: string;
}

/** Bounds of one run; defaults in src/config.ts. */
export interface RedriveLimits {
  /** A run starts no batch after this long, so `sls invoke` (which gives up after 120 s) gets the summary. */
  readonly timeBudgetMs: number;
  /** ... nor when the invocation has less than this left (a budget set above the function timeout). */
  readonly timeReserveMs: number;
  /** A dry run looks at up to this many messages, hidden only while it runs. */
  readonly dryRunLookAt: number;
  /** How long a dry run hides what it looks at should it fail to make them visible again at the end. */
  readonly dryRunHoldSeconds: number;
  /** A dry run's summary shows up to this many messages. */
  readonly maxSamples: number;
  /** Long polling: an empty answer then means the queue is really empty, not that a host was missed. */
  readonly waitTimeSeconds: number;
}
