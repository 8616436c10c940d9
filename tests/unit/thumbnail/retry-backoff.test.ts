import { retryDelaySeconds } from '../../../src/thumbnail/retry-backoff';

describe('retryDelaySeconds', () => {
  const policy = { baseDelaySeconds: 10, maxDelaySeconds: 300 };

  it('doubles the delay with every receive', () => {
    expect([1, 2, 3, 4].map((count) => retryDelaySeconds(count, policy))).toEqual([10, 20, 40, 80]);
  });

  it('never exceeds the maximum, however often a message was received', () => {
    expect(retryDelaySeconds(6, policy)).toBe(300);
    expect(retryDelaySeconds(10_000, policy)).toBe(300);
  });

  it('treats a missing or zero receive count as the first receive', () => {
    expect(retryDelaySeconds(0, policy)).toBe(10);
  });
});
