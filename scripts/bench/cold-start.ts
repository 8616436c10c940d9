/**
 * The cold start of the packaged thumbnail function and its size: unzips .serverless/thumbnail.zip (made
 * by `sls package`; `make bench` runs it first) into .bench-cache/cold-start/, then runs
 * cold-start-child.js in fresh processes, one after the other (never during timed runs), as Lambda runs
 * the function (serverless.yml sets no NODE_OPTIONS: the handler maps its stack traces itself, see
 * src/source-mapped-stack-traces.ts). Reported: medians over the processes.
 */
import { execFile } from 'node:child_process';
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CACHE_DIR, ROOT } from './inputs';
import { median } from './report';
import { unpack } from './zip';
import { awsSdkPlugins } from '../../plugins/esbuild/aws-sdk';
import { RENDER_THREAD_BUNDLE, WORKER_ROLE } from '../../src/thumbnail/render-protocol';
import type { BoundingBox } from '../../src/thumbnail/sizes';
import type { RenderOptions } from '../../src/images/render';

export const PACKAGE = join(ROOT, '.serverless', 'thumbnail.zip');
const HANDLER = join('src', 'handlers', 'thumbnail.js');

export interface BundleSize {
  /** The zip as deployed. */
  readonly zipBytes: number;
  /** Compressed bytes of its .wasm files (the WebAssembly codecs). */
  readonly wasmZippedBytes: number;
  /** Compressed bytes of everything else: the bundle, its source map, the codecs' JavaScript glue. */
  readonly otherZippedBytes: number;
  /** The handler bundle, uncompressed. */
  readonly handlerBytes: number;
}

export interface ColdStart {
  readonly processes: number;
  readonly moduleLoadMs: number;
  /**
   * The same load of a bundle holding only the function's three AWS SDK clients (S3, SQS, EventBridge),
   * built as the handler is and created as the handler creates them: the floor of the handler's module
   * load while it builds its clients at start-up, as AWS advises. Measured alternately with the handler.
   */
  readonly sdkClientsLoadMs: number;
  readonly workerReadyMs: number;
  readonly firstRenderMs: number;
  /** Renders after the first, in the same worker. */
  readonly warmRenderMs: number;
  readonly runs: {
    moduleLoadMs: number;
    sdkClientsLoadMs: number;
    workerReadyMs: number;
    firstRenderMs: number;
    warmRendersMs: number[];
  }[];
}

/** Unpacks the package afresh; throws if there is none. */
export async function preparePackage(): Promise<{ directory: string; size: BundleSize }> {
  if (!existsSync(PACKAGE)) throw new Error(`${PACKAGE} is missing: run make build (make bench does)`);
  const zip = await readFile(PACKAGE);
  const directory = join(CACHE_DIR, 'cold-start');
  await rm(directory, { recursive: true, force: true });
  const entries = await unpack(zip, directory);
  const wasmZippedBytes = entries.filter((e) => e.name.endsWith('.wasm')).reduce((sum, e) => sum + e.compressedSize, 0);
  const allZippedBytes = entries.reduce((sum, e) => sum + e.compressedSize, 0);
  return {
    directory,
    size: {
      zipBytes: zip.length,
      wasmZippedBytes,
      otherZippedBytes: allZippedBytes - wasmZippedBytes,
      handlerBytes: (await stat(join(directory, HANDLER))).size,
    },
  };
}

/**
 * Bundles src/aws/clients.ts's three clients, created as the thumbnail function creates them, with the
 * esbuild options of serverless.yml's custom.esbuild that matter for load time (minified, packages' ES
 * module builds, Node 22, the credentials plugin).
 */
async function buildSdkClientsBundle(directory: string): Promise<string> {
  const outfile = join(directory, 'sdk-clients.js');
  await build({
    stdin: {
      contents: [
        "import { createEventBridgeClient, createS3Client, createSqsClient } from './src/aws/clients';",
        'export const clients = [createS3Client(), createSqsClient(), createEventBridgeClient()];',
      ].join('\n'),
      resolveDir: ROOT,
      loader: 'ts',
    },
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node22',
    mainFields: ['module', 'main'],
    // The SDK as serverless.yml's custom.esbuild.plugins bundle it (plugins/esbuild/aws-sdk.js).
    plugins: awsSdkPlugins(),
    outfile,
    logLevel: 'error',
  });
  return outfile;
}

/** Milliseconds a fresh Node process takes to require `file`, as cold-start-child.js times its handler. */
async function timeLoad(file: string, directory: string, environment: Record<string, string>): Promise<number> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      '-e',
      'const t = process.hrtime.bigint(); require(process.argv[1]); console.log(Number(process.hrtime.bigint() - t) / 1e6);',
      file,
    ],
    { cwd: directory, env: { PATH: process.env.PATH ?? '', ...environment } },
  );
  return Number(stdout.trim());
}

/** Runs `processes` cold starts of the unpacked package, one after the other, each rendering `input`. */
export async function measureColdStarts(
  directory: string,
  input: string,
  boxes: readonly BoundingBox[],
  options: RenderOptions,
  environment: Record<string, string>,
  processes: number,
): Promise<ColdStart> {
  const requestFile = join(directory, 'cold-start-request.json');
  await writeFile(
    requestFile,
    JSON.stringify({
      environment,
      boxes,
      options,
      warmRuns: 3,
      workerRole: WORKER_ROLE,
      renderThreadBundle: RENDER_THREAD_BUNDLE,
    }),
  );
  const sdkClients = await buildSdkClientsBundle(directory);
  const runs: ColdStart['runs'] = [];
  for (let i = 0; i < processes; i++) {
    const sdkClientsLoadMs = await timeLoad(sdkClients, directory, environment);
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [join(__dirname, 'cold-start-child.js'), join(directory, HANDLER), input, requestFile],
      // Lambda's environment: no inherited NODE_OPTIONS (tsx's loader) in the child.
      { cwd: directory, env: { PATH: process.env.PATH ?? '' }, maxBuffer: 1 << 20 },
    ).catch((error: { stderr?: string; message: string }) => {
      throw new Error(`cold start failed: ${error.stderr?.trim() || error.message}`);
    });
    const run = JSON.parse(stdout.trim().split('\n').pop()!) as Omit<ColdStart['runs'][number], 'sdkClientsLoadMs'>;
    runs.push({ ...run, sdkClientsLoadMs });
  }
  return {
    processes,
    moduleLoadMs: median(runs.map((run) => run.moduleLoadMs)),
    sdkClientsLoadMs: median(runs.map((run) => run.sdkClientsLoadMs)),
    workerReadyMs: median(runs.map((run) => run.workerReadyMs)),
    firstRenderMs: median(runs.map((run) => run.firstRenderMs)),
    warmRenderMs: median(runs.flatMap((run) => run.warmRendersMs)),
    runs,
  };
}
