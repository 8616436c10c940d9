/** Why an input can never be processed; sent with the message to the dead-letter queue. */
export type FailureCode =
  | 'invalid-message'
  | 'empty-object'
  | 'unsupported-format'
  | 'corrupt-image'
  | 'too-many-bytes'
  | 'too-many-pixels'
  | 'key-too-long';

/**
 * A failure that retrying cannot fix: the input itself is wrong (not an S3 event, not an image, too
 * large, ...). Such a message goes to the dead-letter queue at once, with its reason. Anything else
 * (throttling, network, 5xx) is transient and left to SQS to retry.
 */
export class PermanentFailure extends Error {
  override readonly name: string = 'PermanentFailure';

  constructor(
    readonly code: FailureCode,
    message: string,
  ) {
    super(message);
  }
}

/** Best short description of anything thrown, for log lines and summaries. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
