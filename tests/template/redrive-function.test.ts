/**
 * The redrive function's sizing in the packaged template: what makes every `sls invoke -f redrive` get its
 * summary, and one run at a time. (Its logic is unit-tested in tests/unit/redrive/.)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRedriveConfig } from '../../src/config';

/** `sls invoke` (Serverless v3, AWS SDK v2) gives up on its socket after this long and invokes again. */
const SLS_INVOKE_SOCKET_TIMEOUT_MS = 120_000;

const templatePath = join(__dirname, '../../.serverless/cloudformation-template-update-stack.json');
const template = JSON.parse(readFileSync(templatePath, 'utf8')) as {
  Resources: Record<string, { Properties: Record<string, any> }>; // eslint-disable-line @typescript-eslint/no-explicit-any
};
const redrive = template.Resources.RedriveLambdaFunction!.Properties;

describe('the redrive function', () => {
  it('runs one invocation at a time', () => {
    expect(redrive.ReservedConcurrentExecutions).toBe(1);
  });

  it('answers before sls invoke gives up, even when a run overruns its budget', () => {
    expect(redrive.Timeout * 1_000).toBeLessThan(SLS_INVOKE_SOCKET_TIMEOUT_MS);
  });

  it('has a time budget that ends runs before the function times out, with room for the last batch', () => {
    const environment: Record<string, string> = Object.fromEntries(
      Object.entries(redrive.Environment.Variables).map(([name, value]) => [
        name,
        typeof value === 'string' ? value : 'ref',
      ]),
    );
    const { limits } = loadRedriveConfig(environment);
    expect(limits.timeBudgetMs).toBeLessThanOrEqual(redrive.Timeout * 1_000 - limits.timeReserveMs);
  });
});
