import type { EventPublisher, ThumbnailEvent } from '../../src/thumbnail/events';

/**
 * An EventPublisher for unit tests: keeps what was published, in order, and refuses the next calls with
 * `failWith` as EventBridge would (the whole call; the EventBridge publisher's own tests cover refused
 * entries).
 */
export function recordingEvents(): EventPublisher & { published: ThumbnailEvent[]; failWith: Error | undefined } {
  const recorder = {
    published: [] as ThumbnailEvent[],
    failWith: undefined as Error | undefined,
    async publish(events: readonly ThumbnailEvent[]): Promise<void> {
      if (recorder.failWith) throw recorder.failWith;
      recorder.published.push(...events);
    },
  };
  return recorder;
}
