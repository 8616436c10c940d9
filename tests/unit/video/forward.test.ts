import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { ObjectForwardedError } from '../../../src/errors';
import { parseImageMessage } from '../../../src/thumbnail/s3-event';
import { encodeS3Key, videoMessageBody, videoRouter } from '../../../src/video/forward';
import { fixtures } from '../../support/fixtures';
import { makeVideo } from '../../support/sample-videos';

const source = { bucket: 'uploads', key: 'my clips/été +1.MP4', size: 1234, eTag: 'abc' };

describe('the message a video is forwarded with', () => {
  it('is an S3 event naming the object, which the images queue and the videos queue both read back', () => {
    expect(encodeS3Key('a b+c/é')).toBe('a+b%2Bc%2F%C3%A9');
    expect(parseImageMessage(videoMessageBody(source))).toEqual({ kind: 'objects', objects: [source] });
  });
});

describe('routing uploads from the image function', () => {
  const sqsMock = mockClient(SQSClient);
  beforeEach(() => sqsMock.reset().on(SendMessageCommand).resolves({}));
  const router = () => videoRouter(new S3Client({ region: 'us-east-1' }), new SQSClient({}), 'https://sqs/videos');

  it('sends a video to the videos queue and stops the image pipeline with ObjectForwardedError', async () => {
    const forwarding = router().forwardIfVideo(source, await makeVideo({ width: 64, height: 48, seconds: 1 }));
    await expect(forwarding).rejects.toThrow(ObjectForwardedError);
    await expect(forwarding).rejects.toThrow('a video (iso-bmff container): sent to the videos queue');
    expect(sqsMock.commandCalls(SendMessageCommand).map((call) => call.args[0].input)).toEqual([
      { QueueUrl: 'https://sqs/videos', MessageBody: videoMessageBody(source) },
    ]);
  });

  it('lets images, and anything that is no video, through to the image pipeline', async () => {
    await expect(router().forwardIfVideo(source, await fixtures.jpeg())).resolves.toBeUndefined();
    await expect(router().forwardIfVideo(source, Buffer.from('not a video'))).resolves.toBeUndefined();
    expect(sqsMock.commandCalls(SendMessageCommand)).toEqual([]);
  });
});
