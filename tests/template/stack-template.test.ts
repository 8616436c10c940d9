/**
 * Checks the CloudFormation template that `make build` (sls package) compiles from serverless.yml: the
 * guarantees AWS users rely on, which the local emulator cannot show (it ignores some of them).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

interface Resource {
  Type: string;
  Properties: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  DependsOn?: string | string[];
  Condition?: string;
}

const templatePath = join(__dirname, '../../.serverless/cloudformation-template-update-stack.json');
const template = JSON.parse(readFileSync(templatePath, 'utf8')) as {
  Resources: Record<string, Resource>;
  Outputs: Record<string, unknown>;
};
const resources = template.Resources;
const resource = (name: string): Resource => {
  const found = resources[name];
  if (!found) throw new Error(`template has no resource ${name}`);
  return found;
};
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

describe('the packaged CloudFormation template', () => {
  it('runs both functions on a Node.js runtime AWS accepts for new functions', () => {
    const functions = ofType('AWS::Lambda::Function');
    expect(functions.map(([name]) => name).sort()).toEqual(['RedriveLambdaFunction', 'ThumbnailLambdaFunction']);
    for (const [, fn] of functions) expect(fn.Properties.Runtime).toMatch(/^nodejs(2[2-9]|[3-9]\d)\.x$/);
  });

  it('feeds the thumbnail function from the images queue in batches of 10, reporting partial failures', () => {
    const [[, mapping]] = ofType('AWS::Lambda::EventSourceMapping') as [[string, Resource]];
    expect(mapping.Properties).toMatchObject({
      BatchSize: 10,
      EventSourceArn: { 'Fn::GetAtt': ['ImagesQueue', 'Arn'] },
      FunctionName: { 'Fn::GetAtt': ['ThumbnailLambdaFunction', 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    expect(mapping.Properties.MaximumBatchingWindowInSeconds).toBeGreaterThan(0);
    expect(mapping.Properties.MaximumBatchingWindowInSeconds).toBeLessThanOrEqual(5);
  });

  it('gives the images queue a visibility timeout of at least 6x the function timeout', () => {
    const timeout = resource('ThumbnailLambdaFunction').Properties.Timeout as number;
    expect(resource('ImagesQueue').Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * timeout);
  });

  it('sends messages that keep failing to a dead-letter queue that keeps them 14 days', () => {
    expect(resource('ImagesQueue').Properties.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] },
      maxReceiveCount: 3,
    });
    expect(resource('DeadLetterQueue').Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
    expect(resource('ImagesQueue').Properties.MessageRetentionPeriod).toBeLessThan(14 * 24 * 3600);
  });

  it('notifies the queue of every new object in the images bucket, whatever the case of its extension', () => {
    const notification = resource('ImagesBucket').Properties.NotificationConfiguration;
    expect(notification).toEqual({
      QueueConfigurations: [{ Event: 's3:ObjectCreated:*', Queue: { 'Fn::GetAtt': ['ImagesQueue', 'Arn'] } }],
    });
    expect(resource('ImagesBucket').DependsOn).toContain('ImagesQueuePolicy');
  });

  it('lets only S3, from the images bucket of this account, send to the images queue', () => {
    const policy = resource('ImagesQueuePolicy').Properties;
    expect(policy.Queues).toEqual([{ Ref: 'ImagesQueue' }]);
    expect(policy.PolicyDocument.Statement).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 's3.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: { 'Fn::GetAtt': ['ImagesQueue', 'Arn'] },
        Condition: {
          ArnEquals: {
            'aws:SourceArn': {
              'Fn::Sub': 'arn:${AWS::Partition}:s3:::${AWS::StackName}-images-${AWS::AccountId}-${AWS::Region}',
            },
          },
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
        },
      }),
    ]);
    // The condition must name the bucket the stack really creates.
    expect(resource('ImagesBucket').Properties.BucketName).toEqual({
      'Fn::Sub': '${AWS::StackName}-images-${AWS::AccountId}-${AWS::Region}',
    });
  });

  it('names buckets by stack, account and region, and keeps thumbnails out of the images bucket', () => {
    const names = ofType('AWS::S3::Bucket')
      .filter(([name]) => name !== 'ServerlessDeploymentBucket')
      .map(([, bucket]) => bucket.Properties.BucketName['Fn::Sub']);
    expect(names.sort()).toEqual([
      '${AWS::StackName}-images-${AWS::AccountId}-${AWS::Region}',
      '${AWS::StackName}-thumbnails-${AWS::AccountId}-${AWS::Region}',
    ]);
    expect(resource('ThumbnailLambdaFunction').Properties.Environment.Variables.THUMBNAILS_BUCKET).toEqual({
      Ref: 'ThumbnailsBucket',
    });
  });

  it('gives each function its own role with no wildcard action and resource-scoped statements', () => {
    expect(resource('ThumbnailLambdaFunction').Properties.Role).toEqual({
      'Fn::GetAtt': ['ThumbnailFunctionRole', 'Arn'],
    });
    expect(resource('RedriveLambdaFunction').Properties.Role).toEqual({ 'Fn::GetAtt': ['RedriveFunctionRole', 'Arn'] });
    const roles = ofType('AWS::IAM::Role');
    expect(roles.map(([name]) => name).sort()).toEqual(['RedriveFunctionRole', 'ThumbnailFunctionRole']);
    for (const [, role] of roles) {
      for (const policy of role.Properties.Policies) {
        for (const statement of policy.PolicyDocument.Statement) {
          const actions = [statement.Action].flat();
          expect(actions.every((action: string) => !action.includes('*'))).toBe(true);
          expect(JSON.stringify(statement.Resource)).not.toMatch(/"\*"/);
        }
      }
    }
  });

  describe('security', () => {
    const buckets = ['ImagesBucket', 'ThumbnailsBucket', 'ServerlessDeploymentBucket'];

    it.each(buckets)('%s blocks all public access', (name) => {
      expect(resource(name).Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
    });

    it.each(buckets)('%s encrypts at rest', (name) => {
      expect(resource(name).Properties.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([
        { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
      ]);
    });

    it.each(buckets)('%s denies requests without TLS', (name) => {
      const [, policy] = ofType('AWS::S3::BucketPolicy').find(([, p]) => p.Properties.Bucket.Ref === name)!;
      expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:*',
          Condition: { Bool: { 'aws:SecureTransport': false } },
        }),
      );
    });

    it.each(['ImagesQueue', 'DeadLetterQueue'])('%s is encrypted', (name) => {
      expect(resource(name).Properties.SqsManagedSseEnabled).toBe(true);
    });

    it('alarms as soon as the dead-letter queue holds a message', () => {
      expect(resource('DeadLetterQueueNotEmptyAlarm').Properties).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['DeadLetterQueue', 'QueueName'] } }],
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      });
    });

    it('subscribes an e-mail address to the alarm only when one is given', () => {
      expect(resource('DeadLetterQueueAlarmTopic').Condition).toBe('HasAlarmEmail');
      expect(resource('DeadLetterQueueNotEmptyAlarm').Properties.AlarmActions).toEqual({
        'Fn::If': ['HasAlarmEmail', [{ Ref: 'DeadLetterQueueAlarmTopic' }], { Ref: 'AWS::NoValue' }],
      });
    });

    it('lets the thumbnail function send only to the dead-letter queue, and read only the images bucket', () => {
      const statements = resource('ThumbnailFunctionRole').Properties.Policies[0].PolicyDocument.Statement;
      const bySid = Object.fromEntries(statements.map((statement: { Sid: string }) => [statement.Sid, statement]));
      expect(bySid.DeadLetterPermanentFailures).toMatchObject({
        Action: 'sqs:SendMessage',
        Resource: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] },
      });
      expect(bySid.ReadImages).toMatchObject({
        Action: 's3:GetObject',
        Resource: { 'Fn::Sub': '${ImagesBucket.Arn}/*' },
      });
      expect(bySid.WriteThumbnails).toMatchObject({
        Action: 's3:PutObject',
        Resource: { 'Fn::Sub': '${ThumbnailsBucket.Arn}/*' },
      });
    });
  });

  it('publishes the bucket names and queue URLs as outputs', () => {
    expect(Object.keys(template.Outputs)).toEqual(
      expect.arrayContaining([
        'ImagesBucketName',
        'ThumbnailsBucketName',
        'ImagesQueueUrl',
        'DeadLetterQueueUrl',
        'MaxReceiveCount',
      ]),
    );
  });
});
