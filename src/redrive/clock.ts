/** Time as the redrive sees it; tests drive it by hand so that budgets and rates are checked exactly. */
export interface Clock {
  /** Epoch milliseconds (compared with SQS's SentTimestamp). */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
