/**
 * A failure that retrying cannot fix: the input itself is wrong (not an S3 event, not an image, ...).
 * Anything else (throttling, network, 5xx) is treated as transient and left to SQS to retry.
 */
export class PermanentFailure extends Error {
  override readonly name: string = 'PermanentFailure';
}

/** Best short description of anything thrown, for log lines and summaries. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
