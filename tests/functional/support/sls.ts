import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { STAGE } from '../../support/stack';

const run = promisify(execFile);

/** Runs `sls invoke -f <function> --data <json>` exactly as an operator would and returns its JSON result. */
export async function slsInvoke(functionName: string, data: unknown): Promise<unknown> {
  const region = process.env.AWS_REGION ?? 'us-east-1';
  const { stdout } = await run(
    'npx',
    [
      '--no-install',
      'serverless',
      'invoke',
      '--stage',
      STAGE,
      '--region',
      region,
      '-f',
      functionName,
      '--data',
      JSON.stringify(data),
    ],
    { env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' }, timeout: 120_000 },
  ).catch((error: Error & { stdout?: string; stderr?: string }) => {
    throw new Error(`${error.message}\nstdout:\n${error.stdout}\nstderr:\n${error.stderr}`);
  });
  // serverless prints the function's result as JSON, possibly after plugin notices.
  const start = stdout.indexOf('{');
  if (start < 0) throw new Error(`sls invoke printed no JSON result:\n${stdout}`);
  return JSON.parse(stdout.slice(start));
}
