import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { STACK_NAME } from '../../support/stack';

const logs = new CloudWatchLogsClient({});

/**
 * The structured (JSON) log lines a function wrote that contain `text` (a key, a message ID), parsed.
 * Filtering server-side keeps the answer small however long the log group has grown.
 */
export async function functionLogLines(functionName: string, text: string): Promise<Record<string, unknown>[]> {
  const lines: Record<string, unknown>[] = [];
  let nextToken: string | undefined;
  do {
    const page = await logs.send(
      new FilterLogEventsCommand({
        logGroupName: `/aws/lambda/${STACK_NAME}-${functionName}`,
        filterPattern: JSON.stringify(text),
        nextToken,
      }),
    );
    for (const event of page.events ?? []) {
      try {
        lines.push(JSON.parse(event.message ?? ''));
      } catch {
        // Not one of ours (runtime START/END/REPORT lines).
      }
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return lines;
}
