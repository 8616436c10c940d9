/** What an operator may pass to the redrive function (`sls invoke -f redrive --data '{...}'`). */
export interface RedriveRequest {
  /** Count (and release) the dead-letter messages without moving any. */
  readonly dryRun: boolean;
  /** Stop after this many messages; unlimited when absent. */
  readonly maxMessages: number | undefined;
}

export class RedriveRequestError extends Error {
  override readonly name = 'RedriveRequestError';
}

const KNOWN_FIELDS = new Set(['dryRun', 'maxMessages']);

/** Validates the invocation payload; an empty payload means "move everything". */
export function parseRedriveRequest(event: unknown): RedriveRequest {
  if (event === undefined || event === null || event === '') return { dryRun: false, maxMessages: undefined };
  if (typeof event !== 'object' || Array.isArray(event)) {
    throw new RedriveRequestError('expected a JSON object such as {"dryRun": true, "maxMessages": 100}');
  }
  const fields = event as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((name) => !KNOWN_FIELDS.has(name));
  if (unknown.length > 0) {
    throw new RedriveRequestError(`unknown field(s) ${unknown.join(', ')}; allowed: dryRun, maxMessages`);
  }
  const { dryRun = false, maxMessages } = fields;
  if (typeof dryRun !== 'boolean') throw new RedriveRequestError('dryRun must be true or false');
  if (maxMessages !== undefined && (!Number.isInteger(maxMessages) || (maxMessages as number) < 1)) {
    throw new RedriveRequestError('maxMessages must be a whole number of at least 1');
  }
  return { dryRun, maxMessages: maxMessages as number | undefined };
}
