/**
 * Thumbnail benchmark: `npx tsx scripts/bench/index.ts [--runs 5] [--inputs 1mp,12mp,24mp,png12mp,webp12mp,...]
 * [--contenders naive-jimp,pipeline,sharp] [--sizes 75x75,125x125,1280x720] [--json bench-results/latest.json]`,
 * or `--e2e [--count 50]` to measure the deployed local stack instead (see e2e.ts).
 *
 * Method:
 * - Inputs are generated deterministically and cached in .bench-cache/ (inputs.ts).
 * - A contender runs only on the formats it reads (contenders.ts READS); elsewhere it is "not applicable":
 *   not run, shown as n/a, not a failure.
 * - Every contender first runs once on a small image of each input format, untimed, so module loading,
 *   WebAssembly compilation and JIT warm-up are not counted. Then, per input, each of the --runs rounds runs
 *   every applicable contender once, each round starting with the next contender (round-robin), so machine
 *   noise and the garbage one contender leaves for the next are spread evenly. A run is the whole job: decode, every size, encode. Reported: median, min and max.
 * - Peak memory: after the timed rounds, each contender runs once more, on its own, in a fresh child
 *   process (rss-child.ts), which reports its peak RSS; a `baseline` child that only reads the input shows
 *   what node and tsx alone cost. Children run one at a time, never during timed runs.
 * - Quality (quality.ts): thumbnail dimensions must be exactly those fitInside plans (FAIL otherwise), and
 *   each jimp contender's pixels are compared with sharp's (mean absolute difference, 0-255; above
 *   MAX_PLAUSIBLE_MAD is a FAIL: a decoder that swaps channels or misreads colour lands far above). Where sharp
 *   cannot read the input (HEIC), the comparison is with sharp's thumbnails of the lossless PNG the input
 *   was encoded from, and the dimensions planned from that PNG.
 * - Ratios come from the same run: speedup = naive-jimp median / median, vs sharp = median / sharp median.
 * - Cost (cost.ts): each pipeline median as Lambda compute per 1,000 images on arm64 at the memory
 *   serverless.yml gives the thumbnail function (its share of a vCPU), beside the S3, SQS and Lambda
 *   request costs per 1,000 images; prices and region are constants in cost.ts.
 * - The package and its cold start (cold-start.ts): the size of .serverless/thumbnail.zip (its code
 *   apart from its WebAssembly), then --cold-starts fresh processes that require the packaged handler,
 *   start its render worker and render the 1 MP JPEG (first render against later ones in the same worker).
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import sharp from 'sharp';
import { DEFAULT_THUMBNAIL_SIZES } from '../../src/config';
import { parseBoundingBoxes } from '../../src/thumbnail/sizes';
import { measureColdStarts, preparePackage, type BundleSize, type ColdStart } from './cold-start';
import {
  CONTENDER_NAMES,
  JPEG_QUALITY,
  loadContender,
  PIPELINE_ENVIRONMENT,
  pipelineOptions,
  READS,
  type Contender,
  type ContenderName,
  type Thumbnail,
} from './contenders';
import { INPUTS, prepareInput, ROOT, warmUpSpec, type PreparedInput } from './inputs';
import { costPerThousand, PRICES, thumbnailFunctionSettings, type CostPerThousand } from './cost';
import { checkQuality, describeSource, MAX_PLAUSIBLE_MAD, type QualityReport } from './quality';
import { describeMachine, errorMessage, machine, median, printTable, writeReport } from './report';
import type { ChildReport } from './rss-child';

const DEFAULT_SIZES = DEFAULT_THUMBNAIL_SIZES;

const USAGE = `usage: npx tsx scripts/bench/index.ts [options]
  --runs N              timed runs per input and contender (default 5)
  --inputs LIST         ${INPUTS.map((input) => input.name).join(',')} (default all)
  --contenders LIST     ${CONTENDER_NAMES.join(',')} (default all)
  --sizes LIST          boxes, WIDTHxHEIGHT comma-separated (default ${DEFAULT_SIZES})
  --cold-starts N       fresh processes loading the packaged function (.serverless/thumbnail.zip)
                        and rendering the 1 MP JPEG; 0 for none (default 15: start-up times on a shared machine scatter by tens of ms)
  --json PATH           where to write the results (default bench-results/latest.json,
                        bench-results/e2e-latest.json with --e2e)
  --e2e                 measure the deployed local stack end to end instead (needs AWS_ENDPOINT_URL etc.)
  --count N             with --e2e: objects to upload (default 50)
  --concurrency N       with --e2e: uploads in flight (default 10)
  --timeout SECONDS     with --e2e: how long to wait for all thumbnails (default 300)`;

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got "${value}"`);
  return n;
}

function pickList<T extends string>(name: string, value: string | undefined, known: readonly T[]): T[] {
  if (value === undefined) return [...known];
  const picked = value.split(',').map((item) => item.trim());
  for (const item of picked) {
    if (!known.includes(item as T)) throw new Error(`--${name}: unknown "${item}"; choose from ${known.join(', ')}`);
  }
  return known.filter((item) => picked.includes(item));
}

function parseCli() {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string' },
      'cold-starts': { type: 'string' },
      inputs: { type: 'string' },
      contenders: { type: 'string' },
      sizes: { type: 'string' },
      json: { type: 'string' },
      e2e: { type: 'boolean', default: false },
      count: { type: 'string' },
      concurrency: { type: 'string' },
      timeout: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const e2eOnly = (['count', 'concurrency', 'timeout'] as const).filter((name) => values[name] !== undefined);
  if (!values.e2e && e2eOnly.length > 0) throw new Error(`--${e2eOnly[0]} only applies with --e2e`);
  const benchOnly = (['runs', 'cold-starts', 'inputs', 'contenders', 'sizes'] as const).filter(
    (name) => values[name] !== undefined,
  );
  if (values.e2e && benchOnly.length > 0) throw new Error(`--${benchOnly[0]} does not apply with --e2e`);
  const inputNames = INPUTS.map((input) => input.name);
  return {
    help: values.help,
    e2e: values.e2e,
    runs: positiveInt('runs', values.runs, 5),
    coldStarts: values['cold-starts'] === '0' ? 0 : positiveInt('cold-starts', values['cold-starts'], 15),
    inputs: pickList('inputs', values.inputs, inputNames).map((name) => INPUTS.find((input) => input.name === name)!),
    contenders: pickList('contenders', values.contenders, CONTENDER_NAMES),
    sizes: values.sizes ?? DEFAULT_SIZES,
    boxes: parseBoundingBoxes(values.sizes ?? DEFAULT_SIZES),
    json: resolve(values.json ?? join(ROOT, 'bench-results', values.e2e ? 'e2e-latest.json' : 'latest.json')),
    count: positiveInt('count', values.count, 50),
    concurrency: positiveInt('concurrency', values.concurrency, 10),
    timeoutMs: positiveInt('timeout', values.timeout, 300) * 1000,
  };
}

type Options = ReturnType<typeof parseCli>;

/**
 * The library versions, and how many threads libvips uses per image: sharp defaults to 1 on glibc Linux
 * without jemalloc (this machine, and Lambda), else one per core. jimp is single-threaded JavaScript.
 */
function libraries() {
  return { sharp: sharp.versions.sharp, libvips: sharp.versions.vips, sharpThreads: sharp.concurrency() };
}

async function measureRss(name: ContenderName | 'baseline', input: PreparedInput, sizes: string): Promise<ChildReport> {
  const child = join(__dirname, 'rss-child.ts');
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', child, name, input.path, sizes], {
    cwd: ROOT,
    maxBuffer: 1 << 20,
  }).catch((error: { stderr?: string; message: string }) => {
    throw new Error(`${name} child failed: ${error.stderr?.trim() || error.message}`);
  });
  return JSON.parse(stdout.trim().split('\n').pop()!) as ChildReport;
}

interface ContenderResult {
  name: ContenderName;
  /** The contender does not read the input's format: not run. */
  notApplicable?: true;
  runsMs: number[];
  medianMs?: number;
  minMs?: number;
  maxMs?: number;
  outputBytes?: number;
  outputs?: { label: string; width: number; height: number; bytes: number }[];
  peakRssKiB?: number;
  maxRssKiB?: number;
  speedupVsNaive?: number;
  vsSharp?: number;
  /** Pipeline only: dollars per 1,000 such images on the configured Lambda (see cost.ts). */
  costPerThousand?: CostPerThousand;
  maxMadVsSharp?: number;
  error?: string;
}

interface InputResult {
  input: { name: string; width: number; height: number; format: string; bytes: number; file: string };
  contenders: ContenderResult[];
  ratios: { pipelineSpeedupVsNaive?: number; pipelineVsSharp?: number };
  /** What MAD is measured against: sharp's thumbnails of the input, or of the PNG it was encoded from. */
  madBaseline: 'sharp' | 'sharp-of-source-png' | 'none';
  quality: QualityReport;
}

async function benchInput(
  input: PreparedInput,
  contenders: Map<ContenderName, Contender>,
  options: Options,
): Promise<InputResult> {
  const source = await readFile(input.path);
  const names = [...contenders.keys()].filter((name) => READS[name].includes(input.spec.format));
  const results = new Map(
    [...contenders.keys()].map((name): [ContenderName, ContenderResult] => [
      name,
      names.includes(name) ? { name, runsMs: [] } : { name, notApplicable: true, runsMs: [] },
    ]),
  );
  const lastOutputs: Partial<Record<ContenderName, Thumbnail[]>> = {};

  for (let round = 0; round < options.runs; round++) {
    const order = names.map((_, i) => names[(i + round) % names.length]!);
    const line: string[] = [];
    for (const name of order) {
      const result = results.get(name)!;
      if (result.error) continue;
      const started = performance.now();
      try {
        lastOutputs[name] = await contenders.get(name)!(source, options.boxes);
        const ms = performance.now() - started;
        result.runsMs.push(Math.round(ms * 100) / 100);
        line.push(`${name} ${ms.toFixed(0)} ms`);
      } catch (error) {
        result.error = errorMessage(error);
        line.push(`${name} FAILED: ${result.error}`);
      }
    }
    console.error(`  ${input.spec.name} round ${round + 1}/${options.runs}: ${line.join(', ')}`);
  }

  for (const name of names) {
    const result = results.get(name)!;
    if (!result.error) {
      result.medianMs = median(result.runsMs);
      result.minMs = Math.min(...result.runsMs);
      result.maxMs = Math.max(...result.runsMs);
      result.outputs = lastOutputs[name]!.map(({ label, width, height, body }) => ({
        label,
        width,
        height,
        bytes: body.length,
      }));
      result.outputBytes = result.outputs.reduce((sum, t) => sum + t.bytes, 0);
    }
    try {
      const report = await measureRss(name, input, options.sizes);
      result.peakRssKiB = report.peakRssKiB;
      result.maxRssKiB = report.maxRssKiB;
      console.error(`  ${input.spec.name} ${name}: peak RSS ${(report.peakRssKiB / 1024).toFixed(0)} MiB`);
    } catch (error) {
      result.error ??= errorMessage(error);
    }
  }

  // Where sharp cannot read the input, its thumbnails of the PNG the input was encoded from stand in.
  let madBaseline: InputResult['madBaseline'] = lastOutputs.sharp ? 'sharp' : 'none';
  let quality: QualityReport;
  if (!results.get('sharp')?.notApplicable || !input.referencePath) {
    quality = await checkQuality(await describeSource(source), options.boxes, lastOutputs);
  } else {
    const png = await readFile(input.referencePath);
    const reference = await (contenders.get('sharp') ?? (await loadContender('sharp')))(png, options.boxes);
    madBaseline = 'sharp-of-source-png';
    quality = await checkQuality(await describeSource(png), options.boxes, lastOutputs, reference);
  }
  const naive = results.get('naive-jimp')?.medianMs;
  const sharpMs = results.get('sharp')?.medianMs;
  for (const result of results.values()) {
    if (result.medianMs === undefined) continue;
    if (result.name === 'pipeline') {
      result.costPerThousand = costPerThousand(result.medianMs, options.boxes.length, thumbnailFunctionSettings());
    }
    if (naive !== undefined) result.speedupVsNaive = naive / result.medianMs;
    if (sharpMs !== undefined) result.vsSharp = result.medianMs / sharpMs;
    result.maxMadVsSharp = quality.maxMadVsSharp[result.name];
  }
  const pipeline = results.get('pipeline');
  return {
    input: {
      name: input.spec.name,
      width: input.spec.width,
      height: input.spec.height,
      format: input.spec.format,
      bytes: input.bytes,
      file: input.path,
    },
    contenders: [...results.values()],
    ratios: { pipelineSpeedupVsNaive: pipeline?.speedupVsNaive, pipelineVsSharp: pipeline?.vsSharp },
    madBaseline,
    quality,
  };
}

/** The cold start and the package, measured once per run. */
interface PackageResult {
  readonly size: BundleSize;
  readonly coldStart?: ColdStart;
  readonly error?: string;
}

const dollars = (value: number | undefined) => (value === undefined ? '-' : `$${value.toFixed(4)}`);

function printResults(results: InputResult[], packaged: PackageResult | undefined): void {
  const fixed = (value: number | undefined, digits: number, suffix = '') =>
    value === undefined ? '-' : `${value.toFixed(digits)}${suffix}`;
  const rows: string[][] = [];
  for (const { input, contenders, quality, madBaseline } of results) {
    for (const c of contenders) {
      if (c.notApplicable) {
        rows.push([input.name, c.name, 'n/a', '-', '-', '-', '-', '-', '-', '-', '-']);
        continue;
      }
      rows.push([
        input.name,
        c.name,
        c.error && c.medianMs === undefined ? 'FAILED' : fixed(c.medianMs, 0),
        c.minMs === undefined ? '-' : `${c.minMs.toFixed(0)}–${c.maxMs!.toFixed(0)}`,
        fixed(c.outputBytes === undefined ? undefined : c.outputBytes / 1024, 1),
        fixed(c.peakRssKiB === undefined ? undefined : c.peakRssKiB / 1024, 0),
        fixed(c.speedupVsNaive, 2, 'x'),
        fixed(c.vsSharp, 1, 'x'),
        fixed(c.maxMadVsSharp, 2, madBaseline === 'sharp-of-source-png' ? '†' : ''),
        c.outputs === undefined
          ? '-'
          : quality.failures.some((failure) => failure.startsWith(`${c.name} `))
            ? 'FAIL'
            : 'ok',
        dollars(c.costPerThousand?.lambdaCompute),
      ]);
    }
  }
  const requests = results.flatMap((r) => r.contenders).find((c) => c.costPerThousand)?.costPerThousand;
  if (requests) {
    const perImage = requests.lambdaRequests + requests.s3Requests + requests.sqsRequests;
    rows.push(['requests', 'S3 GET + PUTs, SQS, Lambda', '-', '-', '-', '-', '-', '-', '-', '-', dollars(perImage)]);
  }
  if (packaged) {
    const { size, coldStart } = packaged;
    const kib = (bytes: number) => (bytes / 1024).toFixed(0);
    rows.push([
      'package',
      `thumbnail.zip (code ${kib(size.otherZippedBytes)} + wasm ${kib(size.wasmZippedBytes)} KiB)`,
      '-',
      '-',
      kib(size.zipBytes),
      '-',
      '-',
      '-',
      '-',
      size.otherZippedBytes <= 1024 * 1024 ? 'ok' : 'over 1 MiB',
      '-',
    ]);
    if (coldStart) {
      const cold = (label: string, ms: number, check = '-', ratio = '-') =>
        rows.push(['cold start', label, ms.toFixed(0), '-', '-', '-', '-', ratio, '-', check, '-']);
      cold('load handler module', coldStart.moduleLoadMs, coldStart.moduleLoadMs <= 50 ? 'ok' : 'over 50');
      cold('load its 3 AWS SDK clients alone', coldStart.sdkClientsLoadMs);
      cold('render worker ready', coldStart.workerReadyMs);
      const ratio = coldStart.firstRenderMs / coldStart.warmRenderMs;
      cold('first 1mp render', coldStart.firstRenderMs, ratio <= 3 ? 'ok' : 'over 3x', `${ratio.toFixed(1)}x warm`);
      cold('warm 1mp render, same worker', coldStart.warmRenderMs);
    }
  }
  printTable(
    [
      'input',
      'contender',
      'median ms',
      'min–max ms',
      'out KiB',
      'peak RSS MiB',
      'speedup',
      '× sharp',
      'MAD',
      'check',
      'Lambda $/1k',
    ],
    rows,
    2,
  );
  const { memoryMb, batchSize } = thumbnailFunctionSettings();
  console.log(
    '\nspeedup = naive-jimp median / median; × sharp = median / sharp median; MAD = largest over the sizes of the' +
      '\nmean absolute difference from sharp per channel (0-255); check = thumbnails exactly the planned size' +
      `\nand MAD at most ${MAX_PLAUSIBLE_MAD};` +
      ' n/a = the contender does not read the format (not run, not a failure).' +
      `\nLambda $/1k = render compute per 1,000 images on arm64 at ${memoryMb} MB (${((memoryMb / 1769) * 100).toFixed(0)}% of a vCPU),` +
      ` ${PRICES.region} prices (scripts/bench/cost.ts),` +
      "\n  from this machine's milliseconds; requests = per 1,000 images: 1 S3 GET and a PUT per size," +
      ` SQS send + receive/delete per batch of ${batchSize}, one invocation per batch.` +
      '\ncold start = fresh processes running the packaged function (.serverless/thumbnail.zip) as Lambda does:' +
      '\n  requiring the handler, starting its render worker, its first render; medians over the processes.',
  );
  if (results.some((r) => r.madBaseline === 'sharp-of-source-png')) {
    console.log(
      "† sharp cannot read HEIC: MAD is from sharp's thumbnails of the lossless PNG the HEIC was encoded from," +
        '\n  so it includes the HEIC encoding loss; dims are planned from that PNG (the same pixel size).',
    );
  }
  for (const { input, contenders } of results) {
    for (const c of contenders) if (c.error) console.log(`FAILED ${input.name} ${c.name}: ${c.error}`);
  }
  for (const { input, quality } of results) {
    for (const failure of quality.failures) console.log(`FAIL ${input.name} ${failure}`);
  }
  if (packaged?.error) console.log(`FAILED cold start: ${packaged.error}`);
}

/** The package's size and, with --cold-starts, fresh processes loading it and rendering the 1 MP JPEG. */
async function measurePackage(options: Options): Promise<PackageResult | undefined> {
  if (options.coldStarts === 0) return undefined;
  let prepared: Awaited<ReturnType<typeof preparePackage>>;
  try {
    prepared = await preparePackage();
  } catch (error) {
    return {
      size: { zipBytes: 0, wasmZippedBytes: 0, otherZippedBytes: 0, handlerBytes: 0 },
      error: errorMessage(error),
    };
  }
  try {
    const input = await prepareInput(INPUTS.find((spec) => spec.name === '1mp')!);
    const environment = {
      ...PIPELINE_ENVIRONMENT,
      AWS_REGION: PRICES.region,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    const coldStart = await measureColdStarts(
      prepared.directory,
      input.path,
      options.boxes,
      pipelineOptions(),
      environment,
      options.coldStarts,
    );
    console.error(`  cold starts: ${coldStart.runs.map((run) => JSON.stringify(run)).join('\n    ')}`);
    return { size: prepared.size, coldStart };
  } catch (error) {
    return { size: prepared.size, error: errorMessage(error) };
  }
}

async function bench(options: Options): Promise<boolean> {
  const started = performance.now();
  const host = { ...machine(), ...libraries() };
  console.log(
    `Machine: ${describeMachine(host)}; sharp ${host.sharp}, libvips ${host.libvips}, ${host.sharpThreads} threads`,
  );
  console.log(`Sizes: ${options.boxes.map((box) => box.label).join(', ')}; ${options.runs} timed runs each\n`);

  const inputs: PreparedInput[] = [];
  for (const spec of options.inputs) {
    const input = await prepareInput(spec);
    const how = input.generatedMs === undefined ? 'cached' : `generated in ${(input.generatedMs / 1000).toFixed(1)} s`;
    console.log(
      `Input ${spec.name}: ${spec.width}x${spec.height} ${spec.format}, ${(input.bytes / 1024).toFixed(0)} KiB (${how})`,
    );
    inputs.push(input);
  }

  // Untimed warm-up on a small image of each input format: module loading, WebAssembly compilation and
  // JIT compilation are not part of any run.
  const contenders = new Map<ContenderName, Contender>();
  for (const name of options.contenders) contenders.set(name, await loadContender(name));
  for (const format of new Set(options.inputs.map((spec) => spec.format))) {
    const warmUp = await readFile((await prepareInput(warmUpSpec(format))).path);
    for (const [name, contender] of contenders) {
      if (READS[name].includes(format)) await contender(warmUp, options.boxes);
    }
  }
  const baseline = await measureRss('baseline', inputs[0]!, options.sizes);
  console.log(
    `Child process baseline (node, tsx, reading the input): ${(baseline.peakRssKiB / 1024).toFixed(0)} MiB\n`,
  );

  const results: InputResult[] = [];
  for (const input of inputs) results.push(await benchInput(input, contenders, options));
  const packaged = await measurePackage(options);
  const totalSeconds = (performance.now() - started) / 1000;

  console.log('');
  printResults(results, packaged);
  console.log(`\nTotal ${totalSeconds.toFixed(0)} s`);
  await writeReport(options.json, {
    mode: 'bench',
    machine: host,
    options: { runs: options.runs, sizes: options.sizes, jpegQuality: JPEG_QUALITY, contenders: options.contenders },
    peakRss: { source: baseline.peakRssSource, baselineKiB: baseline.peakRssKiB },
    totalSeconds,
    results,
    lambda: { ...thumbnailFunctionSettings(), prices: PRICES },
    package: packaged,
  });
  return (
    results.every((r) => r.quality.failures.length === 0 && r.contenders.every((c) => !c.error)) && !packaged?.error
  );
}

async function main(): Promise<void> {
  let options: Options;
  try {
    options = parseCli();
  } catch (error) {
    console.error(`${errorMessage(error)}\n\n${USAGE}`);
    process.exit(2);
  }
  if (options.help) {
    console.log(USAGE);
    return;
  }
  // Imported only when needed: it loads the AWS SDK and makes its clients.
  const ok = options.e2e ? await (await import('./e2e')).runE2e(options) : await bench(options);
  if (!ok) process.exitCode = 1;
}

main().catch((error) => {
  console.error(errorMessage(error));
  process.exit(1);
});
