/**
 * Child process of the benchmark, for peak memory: runs one contender once on one input and prints one
 * JSON line with its peak RSS. `baseline` only reads the input: the cost of node, tsx and the source bytes.
 *
 *   node --import tsx scripts/bench/rss-child.ts <contender|baseline> <input file> <sizes>
 *
 * Peak RSS is VmHWM from /proc/self/status where there is one (Linux), because on Linux
 * process.resourceUsage().maxRSS of a spawned process starts at the RSS of the process that spawned it
 * (the kernel carries the pre-exec high-water mark over exec): a child of a 1.5 GB parent reports 1.5 GB
 * before doing anything. maxRSS is still reported, and used where /proc is missing (macOS).
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parseBoundingBoxes } from '../../src/thumbnail/sizes';
import { CONTENDER_NAMES, loadContender, type ContenderName } from './contenders';

export interface ChildReport {
  readonly peakRssKiB: number;
  readonly peakRssSource: 'VmHWM' | 'maxRSS';
  readonly maxRssKiB: number;
  readonly outputBytes: number;
}

function vmHwmKiB(): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const [name, inputPath, sizes] = process.argv.slice(2);
  if (!name || !inputPath || !sizes) throw new Error('usage: rss-child.ts <contender|baseline> <input file> <sizes>');
  const source = await readFile(inputPath);
  let outputBytes = 0;
  if (name !== 'baseline') {
    if (!(CONTENDER_NAMES as readonly string[]).includes(name)) throw new Error(`unknown contender ${name}`);
    const run = await loadContender(name as ContenderName);
    const thumbnails = await run(source, parseBoundingBoxes(sizes));
    outputBytes = thumbnails.reduce((sum, t) => sum + t.body.length, 0);
  }
  const hwm = vmHwmKiB();
  const maxRssKiB = process.resourceUsage().maxRSS;
  const report: ChildReport = {
    peakRssKiB: hwm ?? maxRssKiB,
    peakRssSource: hwm === undefined ? 'maxRSS' : 'VmHWM',
    maxRssKiB,
    outputBytes,
  };
  console.log(JSON.stringify(report));
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
