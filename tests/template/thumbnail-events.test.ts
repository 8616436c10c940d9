/**
 * The thumbnail function's events in the packaged template (`make build`, default parameters): where they
 * go, and that the function may put events on that bus and nowhere else.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

interface Statement {
  Sid: string;
  Action: string | string[];
  Resource: unknown;
}

const templatePath = join(__dirname, '../../.serverless/cloudformation-template-update-stack.json');
const template = JSON.parse(readFileSync(templatePath, 'utf8')) as {
  Resources: Record<string, { Type: string; Properties: Record<string, any> }>; // eslint-disable-line @typescript-eslint/no-explicit-any
};
const resources = Object.entries(template.Resources);
const statementsOf = (role: string): Statement[] =>
  template.Resources[role]!.Properties.Policies.flatMap(
    (policy: { PolicyDocument: { Statement: Statement[] } }) => policy.PolicyDocument.Statement,
  );
const grantsEvents = (statement: Statement) => [statement.Action].flat().some((action) => action.startsWith('events:'));

describe('thumbnail events', () => {
  it('go to the bus the eventBus parameter names (default: the account default bus)', () => {
    const variables = template.Resources.ThumbnailLambdaFunction!.Properties.Environment.Variables;
    expect(variables.EVENT_BUS_NAME).toBe('default');
  });

  it('may be put by the thumbnail function on that bus only, and on no other', () => {
    const eventStatements = statementsOf('ThumbnailFunctionRole').filter(grantsEvents);
    expect(eventStatements).toEqual([
      {
        Sid: 'PublishThumbnailEvents',
        Effect: 'Allow',
        Action: 'events:PutEvents',
        Resource: {
          'Fn::Sub': 'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default',
        },
      },
    ]);
  });

  it('cannot be put by any other role of the stack', () => {
    // The video function announces videos as the thumbnail function does images (video-function.test.ts).
    const publishers = ['ThumbnailFunctionRole', 'VideoFunctionRole'];
    const otherRoles = resources
      .filter(([name, resource]) => resource.Type === 'AWS::IAM::Role' && !publishers.includes(name))
      .map(([name]) => name);
    expect(otherRoles.length).toBeGreaterThan(0);
    for (const role of otherRoles) {
      const granting = statementsOf(role).filter((statement) => [statement.Action].flat().includes('events:PutEvents'));
      expect(granting).toEqual([]);
    }
  });
});
