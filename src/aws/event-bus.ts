import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EventNotPublishedError } from '../errors';
import { EVENT_SOURCE, type EventPublisher, type ThumbnailEvent } from '../thumbnail/events';

/** PutEvents takes at most 10 entries a call. */
const MAX_ENTRIES_PER_CALL = 10;

/**
 * Puts thumbnail events on an EventBridge bus. PutEvents answers 200 even when it refuses entries (it
 * counts them in FailedEntryCount), so refused entries are an error here too, not only a failed call.
 */
export function eventBridgePublisher(client: EventBridgeClient, eventBusName: string): EventPublisher {
  return {
    async publish(events: readonly ThumbnailEvent[], { abortSignal } = {}): Promise<void> {
      for (let start = 0; start < events.length; start += MAX_ENTRIES_PER_CALL) {
        const batch = events.slice(start, start + MAX_ENTRIES_PER_CALL);
        const response = await client.send(
          new PutEventsCommand({
            Entries: batch.map((event) => ({
              EventBusName: eventBusName,
              Source: EVENT_SOURCE,
              DetailType: event.detailType,
              Detail: JSON.stringify(event.detail),
            })),
          }),
          { abortSignal },
        );
        const refused = (response.Entries ?? []).filter((entry) => entry.ErrorCode !== undefined);
        if ((response.FailedEntryCount ?? 0) > 0 || refused.length > 0) {
          const codes = refused.map((entry) => `${entry.ErrorCode}: ${entry.ErrorMessage ?? ''}`).join('; ');
          throw new EventNotPublishedError(
            `EventBridge refused ${response.FailedEntryCount ?? refused.length} of ${batch.length} events on bus ${eventBusName} (${codes})`,
          );
        }
      }
    },
  };
}
