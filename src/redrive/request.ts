import { DEAD_LETTER_REASONS } from './dead-letter-message';

/** What an operator may pass to the redrive function (`sls invoke -f redrive --data '{...}'`). */
export interface RedriveRequest {
  /** Count and show samples without moving anything. */
  readonly dryRun: boolean;
  /** Move at most this many messages; unlimited when absent. */
  readonly maxMessages: number | undefined;
  /** Move only messages with these reasons (failure-code, retries-exhausted or event-not-delivered); all when absent. */
  readonly failureCodes: readonly string[] | undefined;
  /** Send at most this many messages a second; as fast as SQS goes when absent. */
  readonly perSecond: number | undefined;
}

export class RedriveRequestError extends Error {
  override readonly name = 'RedriveRequestError';
}

const FIELDS = ['dryRun', 'maxMessages', 'failureCodes', 'perSecond'];
/** Far above what the images queue needs; a bound so that a typo (5000000) is refused rather than obeyed. */
export const MAX_PER_SECOND = 1_000;

function wholeNumber(value: unknown, name: string, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > max) {
    throw new RedriveRequestError(`${name} must be a whole number from 1 to ${max}`);
  }
  return value as number;
}

function failureCodes(value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined;
  const allowed = `allowed: ${DEAD_LETTER_REASONS.join(', ')}`;
  // Bounded before anything looks at the entries: there are only so many reasons.
  if (!Array.isArray(value) || value.length === 0 || value.length > DEAD_LETTER_REASONS.length) {
    throw new RedriveRequestError(`failureCodes must be a non-empty list of failure codes; ${allowed}`);
  }
  const unknown = value.filter((code) => typeof code !== 'string' || !DEAD_LETTER_REASONS.includes(code));
  if (unknown.length > 0) {
    throw new RedriveRequestError(`failureCodes: unknown ${JSON.stringify(unknown).slice(0, 200)}; ${allowed}`);
  }
  return [...new Set(value as string[])];
}

/** Validates the invocation payload; an empty payload means "move everything". */
export function parseRedriveRequest(event: unknown): RedriveRequest {
  if (event === undefined || event === null || event === '') event = {};
  if (typeof event !== 'object' || Array.isArray(event)) {
    throw new RedriveRequestError('expected a JSON object such as {"dryRun": true, "maxMessages": 100}');
  }
  const fields = event as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((name) => !FIELDS.includes(name));
  if (unknown.length > 0) {
    throw new RedriveRequestError(
      `unknown field(s) ${unknown.slice(0, 5).join(', ').slice(0, 200)}; allowed: ${FIELDS.join(', ')}`,
    );
  }
  const { dryRun = false } = fields;
  if (typeof dryRun !== 'boolean') throw new RedriveRequestError('dryRun must be true or false');
  return {
    dryRun,
    maxMessages: wholeNumber(fields.maxMessages, 'maxMessages', Number.MAX_SAFE_INTEGER),
    failureCodes: failureCodes(fields.failureCodes),
    perSecond: wholeNumber(fields.perSecond, 'perSecond', MAX_PER_SECOND),
  };
}
