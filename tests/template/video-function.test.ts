/**
 * The video function and its queue in the packaged template: fed one video at a time, its failures in the
 * images' dead-letter queue (so one redrive serves both), and reached from the thumbnail function.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_VIDEO_HEADROOM_MS, loadVideoConfig } from '../../src/config';

type Resource = { Type: string; Properties: Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
const templatePath = join(__dirname, '../../.serverless/cloudformation-template-update-stack.json');
const template = JSON.parse(readFileSync(templatePath, 'utf8')) as { Resources: Record<string, Resource> };
const resources = template.Resources;
const video = resources.VideoLambdaFunction!.Properties;
const videosQueue = resources.VideosQueue!.Properties;
const mappingOf = (queue: string) =>
  Object.values(resources).find(
    (resource) =>
      resource.Type === 'AWS::Lambda::EventSourceMapping' &&
      resource.Properties.EventSourceArn['Fn::GetAtt']?.[0] === queue,
  )!.Properties;

describe('the video function', () => {
  it('takes one video an invocation from the videos queue, reporting partial failures', () => {
    expect(mappingOf('VideosQueue')).toMatchObject({
      BatchSize: 1,
      FunctionName: { 'Fn::GetAtt': ['VideoLambdaFunction', 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    expect(mappingOf('VideosQueue').ScalingConfig.MaximumConcurrency).toBeGreaterThanOrEqual(2);
  });

  it('has more memory and time than the thumbnail function, whose settings stay as they were', () => {
    const thumbnail = resources.ThumbnailLambdaFunction!.Properties;
    expect(video.MemorySize).toBeGreaterThan(thumbnail.MemorySize);
    expect(video.Timeout).toBeGreaterThan(thumbnail.Timeout);
    expect(mappingOf('ImagesQueue').BatchSize).toBe(10);
  });

  it('leaves ffmpeg more than the headroom it keeps for writing and reporting', () => {
    const config = loadVideoConfig({
      ...video.Environment.Variables,
      THUMBNAILS_BUCKET: 'b',
      IMAGES_QUEUE_URL: 'q',
      VIDEOS_QUEUE_URL: 'v',
      DEAD_LETTER_QUEUE_URL: 'd',
    });
    expect(config.video.headroomMs).toBe(DEFAULT_VIDEO_HEADROOM_MS);
    expect(video.Timeout * 1000).toBeGreaterThan(4 * config.video.headroomMs);
  });

  it('finds ffmpeg in its own package, where plugins/ffmpeg-package.js puts it', () => {
    expect(video.Environment.Variables.FFMPEG_PATH).toBe('.ffmpeg/ffmpeg');
  });

  it('sends failures that retrying cannot fix, and messages that keep failing, to the images dead-letter queue', () => {
    const images = resources.ImagesQueue!.Properties;
    expect(videosQueue.RedrivePolicy).toEqual(images.RedrivePolicy);
    expect(videosQueue.RedrivePolicy.deadLetterTargetArn).toEqual({ 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] });
    expect(video.Environment.Variables.DEAD_LETTER_QUEUE_URL).toEqual({ Ref: 'DeadLetterQueue' });
    expect(videosQueue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * video.Timeout);
  });

  it('is reached from the thumbnail function, which may send to the videos queue and nowhere else new', () => {
    const thumbnail = resources.ThumbnailLambdaFunction!.Properties;
    expect(thumbnail.Environment.Variables.VIDEOS_QUEUE_URL).toEqual({ Ref: 'VideosQueue' });
    const statements = resources.ThumbnailFunctionRole!.Properties.Policies[0].PolicyDocument.Statement;
    expect(statements).toContainEqual(
      expect.objectContaining({
        Sid: 'ForwardVideos',
        Action: 'sqs:SendMessage',
        Resource: { 'Fn::GetAtt': ['VideosQueue', 'Arn'] },
      }),
    );
  });

  it('puts its "Thumbnails Created" and "Thumbnails Failed" events on the same bus as the thumbnail function, and only there', () => {
    const thumbnail = resources.ThumbnailLambdaFunction!.Properties;
    expect(video.Environment.Variables.EVENT_BUS_NAME).toEqual(thumbnail.Environment.Variables.EVENT_BUS_NAME);
    const statements = resources.VideoFunctionRole!.Properties.Policies[0].PolicyDocument.Statement;
    const putEvents = statements.filter((statement: { Action: string }) => statement.Action === 'events:PutEvents');
    expect(putEvents).toEqual([
      expect.objectContaining({
        Resource: {
          'Fn::Sub': `arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:event-bus/${video.Environment.Variables.EVENT_BUS_NAME}`,
        },
      }),
    ]);
  });

  it('may read only the images bucket and write only the thumbnails bucket', () => {
    const statements = resources.VideoFunctionRole!.Properties.Policies[0].PolicyDocument.Statement;
    const bySid = Object.fromEntries(statements.map((statement: { Sid: string }) => [statement.Sid, statement]));
    expect(bySid.ReadVideos).toMatchObject({
      Action: 's3:GetObject',
      Resource: { 'Fn::Sub': '${ImagesBucket.Arn}/*' },
    });
    expect(bySid.WriteOutputs).toMatchObject({
      Action: 's3:PutObject',
      Resource: { 'Fn::Sub': '${ThumbnailsBucket.Arn}/*' },
    });
  });
});
