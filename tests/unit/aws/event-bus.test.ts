import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { eventBridgePublisher } from '../../../src/aws/event-bus';
import { EventNotPublishedError } from '../../../src/errors';
import { thumbnailsCreated, thumbnailsFailed, type ThumbnailEvent } from '../../../src/thumbnail/events';

const eventBridge = mockClient(EventBridgeClient);
const publisher = eventBridgePublisher(new EventBridgeClient({ region: 'us-east-1' }), 'uploads');
const source = { bucket: 'images', key: 'a/photo 1.jpg', size: 10, eTag: 'abc', versionId: 'v1' };
const created = thumbnailsCreated(
  source,
  [{ bucket: 'thumbs', key: 'a/photo 1.jpg/75x75.jpg', width: 75, height: 50, bytes: 1234, contentType: 'image/jpeg' }],
  42,
);

describe('eventBridgePublisher', () => {
  beforeEach(() => {
    eventBridge.reset();
  });

  it('puts each event on the configured bus with source "thumbnails", its detail-type and its detail as JSON', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });

    await publisher.publish([created]);

    expect(eventBridge.commandCalls(PutEventsCommand).map(({ args: [command] }) => command.input)).toEqual([
      {
        Entries: [
          {
            EventBusName: 'uploads',
            Source: 'thumbnails',
            DetailType: 'Thumbnails Created',
            Detail: JSON.stringify(created.detail),
          },
        ],
      },
    ]);
    expect(JSON.parse(JSON.stringify(created.detail))).toEqual({
      bucket: 'images',
      key: 'a/photo 1.jpg',
      eTag: 'abc',
      versionId: 'v1',
      thumbnails: [
        {
          bucket: 'thumbs',
          key: 'a/photo 1.jpg/75x75.jpg',
          width: 75,
          height: 50,
          bytes: 1234,
          contentType: 'image/jpeg',
        },
      ],
      durationMs: 42,
    });
  });

  it('sends at most 10 entries a call, as PutEvents allows', async () => {
    eventBridge
      .on(PutEventsCommand)
      .callsFake(({ Entries }) => ({ FailedEntryCount: 0, Entries: Entries.map(() => ({})) }));
    const objects = Array.from({ length: 23 }, (_, i) => ({ ...source, key: `k${i}` }));

    await publisher.publish(thumbnailsFailed(objects, { code: 'corrupt-image', reason: 'bad' }, 'm'));

    const sizes = eventBridge
      .commandCalls(PutEventsCommand)
      .map(({ args: [command] }) => command.input.Entries!.length);
    expect(sizes).toEqual([10, 10, 3]);
  });

  it('fails when EventBridge answers 200 but refuses an entry (FailedEntryCount)', async () => {
    eventBridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }],
    });

    const publishing = publisher.publish([created]);

    await expect(publishing).rejects.toThrow(EventNotPublishedError);
    await expect(publishing).rejects.toThrow(
      'EventBridge refused 1 of 1 events on bus uploads (InternalFailure: try again)',
    );
  });

  it('fails when the call fails', async () => {
    eventBridge.on(PutEventsCommand).rejects(new Error('AccessDeniedException'));

    await expect(publisher.publish([created])).rejects.toThrow('AccessDeniedException');
  });

  it('calls nothing for no events', async () => {
    await publisher.publish([] as ThumbnailEvent[]);
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(0);
  });
});

describe('thumbnailsFailed', () => {
  it('cuts the reason to 1024 characters, as the dead-letter attribute', () => {
    const [event] = thumbnailsFailed([source], { code: 'corrupt-image', reason: 'x'.repeat(5000) }, 'm');
    expect(event!.detail).toMatchObject({ failureCode: 'corrupt-image', messageId: 'm', key: 'a/photo 1.jpg' });
    expect((event!.detail as { reason: string }).reason).toHaveLength(1024);
  });
});
