/** How a message the worker received ended. */
export type MessageOutcome = 'succeeded' | 'dead-lettered' | 'retried' | 'released';

/** What the worker did since it started, for its progress line and its summary on exit. */
export class WorkerStats {
  received = 0;
  readonly outcomes: Record<MessageOutcome, number> = { succeeded: 0, 'dead-lettered': 0, retried: 0, released: 0 };
  /** Objects that got thumbnails, by the format their source was recognised as (jpeg, png, heic...). */
  readonly objectsByFormat = new Map<string, number>();
  /** Objects acknowledged without thumbnails (deleted or overwritten before processing, S3 test events). */
  skipped = 0;

  constructor(readonly startedAtMs: number) {}

  count(outcome: MessageOutcome): void {
    this.outcomes[outcome] += 1;
  }

  countObject(sourceFormat: string): void {
    this.objectsByFormat.set(sourceFormat, (this.objectsByFormat.get(sourceFormat) ?? 0) + 1);
  }

  get finished(): number {
    return this.outcomes.succeeded + this.outcomes['dead-lettered'];
  }

  /** Messages finished (thumbnails or a dead letter) per second since the start. */
  throughput(nowMs: number): number {
    const seconds = (nowMs - this.startedAtMs) / 1000;
    return seconds > 0 ? this.finished / seconds : 0;
  }

  /** One line, for a terminal's progress line. */
  progressLine(nowMs: number, inFlight: number): string {
    const { succeeded, retried } = this.outcomes;
    return (
      `received ${this.received}, in flight ${inFlight}, succeeded ${succeeded}, ` +
      `dead-lettered ${this.outcomes['dead-lettered']}, retried ${retried}, ${this.throughput(nowMs).toFixed(2)} msg/s`
    );
  }

  /** The summary printed on exit. */
  summary(nowMs: number): string {
    const elapsedSeconds = (nowMs - this.startedAtMs) / 1000;
    const formats = [...this.objectsByFormat].sort(([a], [b]) => a.localeCompare(b));
    return [
      `messages received       ${this.received}`,
      `  succeeded             ${this.outcomes.succeeded}`,
      `  dead-lettered         ${this.outcomes['dead-lettered']}`,
      `  retried (left to SQS) ${this.outcomes.retried}`,
      `  released at shutdown  ${this.outcomes.released}`,
      `objects with thumbnails ${formats.length === 0 ? 0 : formats.map(([format, n]) => `${format} ${n}`).join(', ')}`,
      `objects skipped         ${this.skipped}`,
      `elapsed                 ${elapsedSeconds.toFixed(1)} s`,
      `throughput              ${this.throughput(nowMs).toFixed(2)} messages/s`,
    ].join('\n');
  }
}
