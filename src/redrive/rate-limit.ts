/**
 * At most `perSecond` sends in any one-second window (a sliding log of the last `perSecond` send times),
 * so `{"perSecond": 50}` never lets a burst of 100 through at a window's edge.
 */
export class RateLimit {
  private readonly sentAt: number[] = [];

  constructor(private readonly perSecond: number | undefined) {}

  /** Most messages one batch may hold: a batch is sent at one instant. */
  batchLimit(max: number): number {
    return Math.min(max, this.perSecond ?? max);
  }

  /** The earliest time (epoch ms) a batch of `count` messages may be sent. */
  earliest(count: number): number {
    if (this.perSecond === undefined) return -Infinity;
    // The last of the batch must come a second after the send `perSecond` places before it.
    const index = this.sentAt.length + count - 1 - this.perSecond;
    return index >= 0 ? this.sentAt[index]! + 1_000 : -Infinity;
  }

  record(count: number, at: number): void {
    if (this.perSecond === undefined) return;
    for (let i = 0; i < count; i += 1) this.sentAt.push(at);
    this.sentAt.splice(0, Math.max(0, this.sentAt.length - this.perSecond));
  }
}
