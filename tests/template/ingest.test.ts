/**
 * The two ways uploads reach the images queue (parameter `ingest`), in the packaged template: the default
 * S3 notification, or S3 -> EventBridge -> a rule -> the queue, and a queue policy that admits only the
 * sender of the chosen way.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const templatePath = join(__dirname, '../../.serverless/cloudformation-template-update-stack.json');
const template = JSON.parse(readFileSync(templatePath, 'utf8')) as {
  Conditions: Record<string, unknown>;
  Resources: Record<string, { Type: string; Condition?: string; Properties: Record<string, any> }>; // eslint-disable-line @typescript-eslint/no-explicit-any
  Outputs: Record<string, { Value: unknown }>;
};
const resources = template.Resources;
const imagesBucketName = { 'Fn::Sub': '${AWS::StackName}-images-${AWS::AccountId}-${AWS::Region}' };

describe('ingest', () => {
  it('is the S3 notification by default, and says so in an output', () => {
    expect(template.Conditions.IngestViaEventBridge).toEqual({ 'Fn::Equals': ['notification', 'eventbridge'] });
    expect(template.Outputs.Ingest!.Value).toBe('notification');
  });

  it('with eventbridge, the images bucket sends its events to EventBridge instead of notifying the queue', () => {
    expect(resources.ImagesBucket!.Properties.NotificationConfiguration).toEqual({
      'Fn::If': [
        'IngestViaEventBridge',
        { EventBridgeConfiguration: { EventBridgeEnabled: true } },
        { QueueConfigurations: [{ Event: 's3:ObjectCreated:*', Queue: { 'Fn::GetAtt': ['ImagesQueue', 'Arn'] } }] },
      ],
    });
  });

  it('with eventbridge, a rule on the default bus sends "Object Created" events of that bucket only to the images queue', () => {
    const rule = resources.ImagesUploadedRule!;
    expect(rule.Type).toBe('AWS::Events::Rule');
    expect(rule.Condition).toBe('IngestViaEventBridge');
    expect(rule.Properties).toMatchObject({
      // S3 sends its events to the default bus, and to no other.
      EventBusName: 'default',
      State: 'ENABLED',
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: { bucket: { name: [imagesBucketName] } },
      },
      Targets: [
        {
          Id: 'images-queue',
          Arn: { 'Fn::GetAtt': ['ImagesQueue', 'Arn'] },
          // Without one, an event EventBridge gives up on (after 24 hours) is dropped: an upload with no outcome.
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] } },
        },
      ],
    });
    // The pattern must name the bucket the stack really creates.
    expect(resources.ImagesBucket!.Properties.BucketName).toEqual(imagesBucketName);
  });

  it('the images queue admits exactly one sender: that rule with eventbridge, the bucket with notification', () => {
    const policy = resources.ImagesQueuePolicy!.Properties;
    expect(policy.Queues).toEqual([{ Ref: 'ImagesQueue' }]);
    expect(policy.PolicyDocument.Statement).toEqual([
      {
        'Fn::If': [
          'IngestViaEventBridge',
          {
            Sid: 'AllowImagesUploadedRule',
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Resource: { 'Fn::GetAtt': ['ImagesQueue', 'Arn'] },
            Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': ['ImagesUploadedRule', 'Arn'] } } },
          },
          expect.objectContaining({
            Sid: 'AllowImagesBucketNotifications',
            Principal: { Service: 's3.amazonaws.com' },
          }),
        ],
      },
    ]);
  });

  it('with eventbridge, that rule and nothing else may put the events it could not deliver in the dead-letter queue', () => {
    const policy = resources.DeadLetterQueuePolicy!;
    expect(policy.Condition).toBe('IngestViaEventBridge');
    expect(policy.Properties.Queues).toEqual([{ Ref: 'DeadLetterQueue' }]);
    expect(policy.Properties.PolicyDocument.Statement).toEqual([
      {
        Sid: 'AllowUndeliveredImagesUploadedEvents',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] },
        Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': ['ImagesUploadedRule', 'Arn'] } } },
      },
    ]);
  });

  it('no other queue policy lets EventBridge or S3 send to the images queue', () => {
    const others = Object.entries(resources).filter(
      ([name, resource]) => resource.Type === 'AWS::SQS::QueuePolicy' && name !== 'ImagesQueuePolicy',
    );
    for (const [, other] of others) {
      expect(JSON.stringify(other.Properties.Queues)).not.toContain('"ImagesQueue"');
    }
  });
});
