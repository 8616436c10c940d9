/** Helpers shared by both modes: the machine, the commit, statistics, the table, the JSON file. */
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ROOT } from './inputs';

export const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error));

function git(...args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

export { describeMachine, machine } from '../../tests/support/machine';
export { median, percentile } from '../../tests/support/stats';

/** Columns before `leftColumns` are left-aligned (names), the rest right-aligned (numbers). */
export function printTable(headers: string[], rows: string[][], leftColumns: number): void {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => row[i]!.length)));
  const format = (row: string[]) =>
    row.map((cell, i) => (i < leftColumns ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  console.log(format(headers));
  console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  for (const row of rows) console.log(format(row));
}

/** Writes `data` with a timestamp and the commit it was measured on (and whether the tree had changes). */
export async function writeReport(path: string, data: object): Promise<void> {
  const report = {
    timestamp: new Date().toISOString(),
    commit: git('rev-parse', '--short', 'HEAD') ?? 'unknown',
    uncommittedChanges: (git('status', '--porcelain') ?? '') !== '',
    ...data,
  };
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`Results written to ${path}`);
}
