/**
 * Checks the CloudFormation template that `make build` (sls package) compiles from serverless.yml: the
 * guarantees AWS users rely on, which the local emulator cannot show (it ignores some of them).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { retryDelaySeconds } from '../../src/thumbnail/retry-backoff';

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
  it('runs every function on a Node.js runtime AWS accepts for new functions', () => {
    const functions = ofType('AWS::Lambda::Function');
    expect(functions.map(([name]) => name).sort()).toEqual([
      'NotifyLambdaFunction',
      'RedriveLambdaFunction',
      'ThumbnailLambdaFunction',
      'VideoLambdaFunction',
    ]);
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

  it('caps the batches the SQS trigger runs at once, so a flood of uploads waits in the queue', () => {
    const [[, mapping]] = ofType('AWS::Lambda::EventSourceMapping') as [[string, Resource]];
    // 2 is the least AWS accepts; 1000 is a whole default account, which the cap exists to protect.
    expect(mapping.Properties.ScalingConfig.MaximumConcurrency).toBeGreaterThanOrEqual(2);
    expect(mapping.Properties.ScalingConfig.MaximumConcurrency).toBeLessThanOrEqual(100);
  });

  it('sends messages that keep failing to a dead-letter queue that keeps them 14 days', () => {
    expect(resource('ImagesQueue').Properties.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] },
      maxReceiveCount: expect.any(Number),
    });
    // AWS advises at least 5 for Lambda consumers: a throttled receive counts as a receive.
    expect(resource('ImagesQueue').Properties.RedrivePolicy.maxReceiveCount).toBeGreaterThanOrEqual(5);
    expect(resource('DeadLetterQueue').Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
    expect(resource('ImagesQueue').Properties.MessageRetentionPeriod).toBeLessThan(14 * 24 * 3600);
  });

  describe('retries of a transient failure', () => {
    const receives = () => resource('ImagesQueue').Properties.RedrivePolicy.maxReceiveCount as number;
    const retryPolicy = () => {
      const variables = resource('ThumbnailLambdaFunction').Properties.Environment.Variables;
      return {
        baseDelaySeconds: Number(variables.RETRY_BASE_DELAY_SECONDS),
        maxDelaySeconds: Number(variables.RETRY_MAX_DELAY_SECONDS),
      };
    };

    it('never wait longer than the visibility timeout a crash waits out', () => {
      expect(retryPolicy().maxDelaySeconds).toBeGreaterThan(0);
      expect(retryPolicy().maxDelaySeconds).toBeLessThanOrEqual(resource('ImagesQueue').Properties.VisibilityTimeout);
    });

    it('bring a message that keeps failing to the dead-letter queue within 15 minutes', () => {
      // The README and serverless.yml state 5 to 10 minutes with the defaults: the delays after each failed
      // receive, plus each attempt running up to the function timeout.
      const timeout = resource('ThumbnailLambdaFunction').Properties.Timeout as number;
      const delays = Array.from({ length: receives() }, (_, i) => retryDelaySeconds(i + 1, retryPolicy()));
      const total = delays.reduce((sum, delay) => sum + delay, 0) + receives() * timeout;
      expect(total).toBeLessThanOrEqual(15 * 60);
    });
  });

  it('notifies the queue of every new object in the images bucket, whatever the case of its extension', () => {
    // With the default `ingest: notification`; tests/template/ingest.test.ts checks the choice itself.
    const [condition, , notification] = resource('ImagesBucket').Properties.NotificationConfiguration['Fn::If'];
    expect(condition).toBe('IngestViaEventBridge');
    expect(notification).toEqual({
      QueueConfigurations: [{ Event: 's3:ObjectCreated:*', Queue: { 'Fn::GetAtt': ['ImagesQueue', 'Arn'] } }],
    });
    expect(resource('ImagesBucket').DependsOn).toContain('ImagesQueuePolicy');
  });

  it('lets only S3, from the images bucket of this account, send to the images queue', () => {
    const policy = resource('ImagesQueuePolicy').Properties;
    expect(policy.Queues).toEqual([{ Ref: 'ImagesQueue' }]);
    // With the default `ingest: notification`; tests/template/ingest.test.ts checks the other branch.
    const [[condition, , notificationStatement]] = policy.PolicyDocument.Statement.map(
      (statement: { 'Fn::If': unknown[] }) => statement['Fn::If'],
    );
    expect(condition).toBe('IngestViaEventBridge');
    expect([notificationStatement]).toEqual([
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
    expect(resource('VideoLambdaFunction').Properties.Role).toEqual({ 'Fn::GetAtt': ['VideoFunctionRole', 'Arn'] });
    const roles = ofType('AWS::IAM::Role');
    expect(roles.map(([name]) => name).sort()).toEqual([
      'NotifyFunctionRole',
      'RedriveFunctionRole',
      'ThumbnailFunctionRole',
      'VideoFunctionRole',
    ]);
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

    it.each(['ImagesQueue', 'VideosQueue', 'DeadLetterQueue'])('%s is encrypted', (name) => {
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

    it('alarms when the oldest upload in the images queue waits longer than the stuck threshold', () => {
      const alarm = resource('ImagesQueueStuckAlarm').Properties;
      expect(alarm).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateAgeOfOldestMessage',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['ImagesQueue', 'QueueName'] } }],
        Statistic: 'Maximum',
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 900,
      });
      // Not so low that the ordinary retries of a failing image set it off.
      expect(alarm.Threshold).toBeGreaterThan(resource('ImagesQueue').Properties.VisibilityTimeout);
    });

    it.each([
      ['ThumbnailFunctionErrorsAlarm', 'Errors'],
      ['ThumbnailFunctionThrottlesAlarm', 'Throttles'],
    ])('%s goes off on the first thumbnail function %s', (name, metric) => {
      expect(resource(name).Properties).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: metric,
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: 'ThumbnailLambdaFunction' } }],
        Statistic: 'Sum',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      });
    });

    describe('alarm notifications', () => {
      const alarms = () => ofType('AWS::CloudWatch::Alarm');
      const toTopic = { 'Fn::If': ['HasAlarmEmail', [{ Ref: 'AlarmTopic' }], { Ref: 'AWS::NoValue' }] };
      const alarmsOfThisStack = {
        'Fn::Sub': 'arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:${AWS::StackName}-*',
      };

      it('every alarm tells the topic when it goes off and when it clears', () => {
        expect(
          alarms()
            .map(([name]) => name)
            .sort(),
        ).toEqual([
          'DeadLetterQueueNotEmptyAlarm',
          'ImagesQueueStuckAlarm',
          'ThumbnailFunctionErrorsAlarm',
          'ThumbnailFunctionThrottlesAlarm',
        ]);
        for (const [, alarm] of alarms()) {
          expect(alarm.Properties.AlarmActions).toEqual(toTopic);
          expect(alarm.Properties.OKActions).toEqual(toTopic);
        }
      });

      it('the topic, its key and its policy exist only when an e-mail address is given', () => {
        for (const name of ['AlarmTopic', 'AlarmTopicKey', 'AlarmTopicPolicy']) {
          expect(resource(name).Condition).toBe('HasAlarmEmail');
        }
        // The other topic is notifyEmail's (tests/template/notify.test.ts).
        expect(ofType('AWS::SNS::Subscription')).toEqual([]);
        expect(ofType('AWS::SNS::Topic').map(([name]) => name)).toEqual(['AlarmTopic', 'NotifyTopic']);
        expect(resource('AlarmTopic').Properties.Subscription).toEqual([{ Protocol: 'email', Endpoint: '' }]);
      });

      it('the topic is encrypted with a key of its own, not alias/aws/sns, which CloudWatch cannot use', () => {
        expect(resource('AlarmTopic').Properties.KmsMasterKeyId).toEqual({ Ref: 'AlarmTopicKey' });
        expect(resource('AlarmTopicKey').Properties.EnableKeyRotation).toBe(true);
      });

      it('the key lets the account administer it and CloudWatch alarms of this stack encrypt with it', () => {
        const statements = resource('AlarmTopicKey').Properties.KeyPolicy.Statement;
        expect(statements).toContainEqual(
          expect.objectContaining({
            Effect: 'Allow',
            Principal: { AWS: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root' } },
            Action: 'kms:*',
          }),
        );
        const cloudWatch = statements.find(
          (statement: { Principal: { Service?: string } }) =>
            statement.Principal.Service === 'cloudwatch.amazonaws.com',
        );
        expect(cloudWatch).toMatchObject({ Effect: 'Allow', Resource: '*' });
        expect([cloudWatch.Action].flat().sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
        expect(cloudWatch.Condition).toEqual({
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnLike: { 'aws:SourceArn': alarmsOfThisStack },
        });
      });

      it('the topic policy lets only CloudWatch alarms of this stack and account publish', () => {
        const policy = resource('AlarmTopicPolicy').Properties;
        expect(policy.Topics).toEqual([{ Ref: 'AlarmTopic' }]);
        expect(policy.PolicyDocument.Statement).toEqual([
          expect.objectContaining({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: { Ref: 'AlarmTopic' },
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: { 'aws:SourceArn': alarmsOfThisStack },
            },
          }),
        ]);
      });

      it('every alarm is named so that the policies above match it', () => {
        for (const [, alarm] of alarms())
          expect(alarm.Properties.AlarmName['Fn::Sub']).toMatch(/^\$\{AWS::StackName\}-/);
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
