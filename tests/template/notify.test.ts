/**
 * notifyEmail in the packaged template (default parameters: no address): the topic, the notify function,
 * its rule and its role exist only with an address; the rule takes only this stack's "Thumbnails Created"
 * events; the role may only read thumbnails (what its presigned links grant) and publish to the topic.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const templatePath = join(__dirname, '../../.serverless/cloudformation-template-update-stack.json');
const template = JSON.parse(readFileSync(templatePath, 'utf8')) as {
  Conditions: Record<string, unknown>;
  Resources: Record<string, { Type: string; Condition?: string; Properties: Record<string, any> }>; // eslint-disable-line @typescript-eslint/no-explicit-any
  Outputs: Record<string, { Condition?: string; Value: unknown }>;
};
const resources = template.Resources;
const resource = (name: string) => {
  const found = resources[name];
  if (!found) throw new Error(`template has no resource ${name}`);
  return found;
};

describe('notifyEmail', () => {
  it('is empty by default, so its resources are not created', () => {
    expect(template.Conditions.HasNotifyEmail).toEqual({ 'Fn::Not': [{ 'Fn::Equals': ['', ''] }] });
  });

  it.each([
    'NotifyTopic',
    'NotifyLambdaFunction',
    'NotifyLogGroup',
    'NotifyFunctionRole',
    'ThumbnailsCreatedRule',
    'NotifyInvokedByThumbnailsCreatedRule',
  ])('%s exists only with an address', (name) => {
    expect(resource(name).Condition).toBe('HasNotifyEmail');
  });

  it('every resource that names the notify function or topic has the same condition', () => {
    for (const [name, found] of Object.entries(resources)) {
      const text = JSON.stringify(found.Properties ?? {});
      if (/"(NotifyLambdaFunction|NotifyTopic|NotifyFunctionRole)"/.test(text)) {
        expect({ name, condition: found.Condition }).toEqual({ name, condition: 'HasNotifyEmail' });
      }
    }
    expect(template.Outputs.NotifyTopicArn!.Condition).toBe('HasNotifyEmail');
  });

  it('subscribes the address to an encrypted topic', () => {
    expect(resource('NotifyTopic').Properties).toEqual({
      KmsMasterKeyId: 'alias/aws/sns',
      Subscription: [{ Protocol: 'email', Endpoint: '' }],
    });
  });

  it('runs the notify function on "Thumbnails Created" events of this stack only, from the events bus', () => {
    expect(resource('ThumbnailsCreatedRule').Properties).toMatchObject({
      EventBusName: 'default',
      EventPattern: {
        source: ['thumbnails'],
        'detail-type': ['Thumbnails Created'],
        detail: { bucket: [{ 'Fn::Sub': '${AWS::StackName}-images-${AWS::AccountId}-${AWS::Region}' }] },
      },
      Targets: [{ Id: 'notify', Arn: { 'Fn::GetAtt': ['NotifyLambdaFunction', 'Arn'] } }],
    });
    expect(resource('NotifyInvokedByThumbnailsCreatedRule').Properties).toEqual({
      FunctionName: { 'Fn::GetAtt': ['NotifyLambdaFunction', 'Arn'] },
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': ['ThumbnailsCreatedRule', 'Arn'] },
    });
  });

  it('lets the notify function read thumbnails (what its links grant), publish to the topic and log, nothing else', () => {
    expect(resource('NotifyLambdaFunction').Properties.Role).toEqual({ 'Fn::GetAtt': ['NotifyFunctionRole', 'Arn'] });
    const statements = resource('NotifyFunctionRole').Properties.Policies.flatMap(
      (policy: { PolicyDocument: { Statement: unknown[] } }) => policy.PolicyDocument.Statement,
    );
    expect(statements).toEqual([
      expect.objectContaining({ Sid: 'WriteOwnLogs', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'] }),
      {
        Sid: 'SignThumbnailLinks',
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: { 'Fn::Sub': '${ThumbnailsBucket.Arn}/*' },
      },
      { Sid: 'PublishNotifications', Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: 'NotifyTopic' } },
    ]);
  });

  it('asks for links valid for notifyLinkExpirySeconds (default an hour)', () => {
    expect(resource('NotifyLambdaFunction').Properties.Environment.Variables).toMatchObject({
      NOTIFY_TOPIC_ARN: { Ref: 'NotifyTopic' },
      NOTIFY_LINK_EXPIRY_SECONDS: '3600',
    });
  });
});
