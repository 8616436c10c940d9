/**
 * The cold start of the packaged thumbnail function and its size: unzips .serverless/thumbnail.zip (made
 * by `sls package`; `make bench` runs it first) into .bench-cache/cold-start/, then runs
 * cold-start-child.js in fresh processes, one after the other (never during timed runs), with Lambda's
 * NODE_OPTIONS (source maps on). Reported: medians over the processes.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inflateRawSync } from 'node:zlib';
import { CACHE_DIR, ROOT } from './inputs';
import { median } from './report';
import { WORKER_ROLE } from '../../src/thumbnail/render-worker';
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
  readonly workerReadyMs: number;
  readonly firstRenderMs: number;
  /** Renders after the first, in the same worker. */
  readonly warmRenderMs: number;
  readonly runs: { moduleLoadMs: number; workerReadyMs: number; firstRenderMs: number; warmRendersMs: number[] }[];
}

interface ZipEntry {
  readonly name: string;
  readonly method: number;
  readonly compressedSize: number;
  readonly dataStart: number;
}

/** The entries of a zip file, from its central directory (no zip64: the package is a few MB). */
function zipEntries(zip: Buffer): ZipEntry[] {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end < 0) throw new Error('not a zip file');
  let offset = zip.readUInt32LE(end + 16);
  const entries: ZipEntry[] = [];
  for (let i = 0, count = zip.readUInt16LE(end + 10); i < count; i++) {
    const nameLength = zip.readUInt16LE(offset + 28);
    const local = zip.readUInt32LE(offset + 42);
    entries.push({
      name: zip.toString('utf8', offset + 46, offset + 46 + nameLength),
      method: zip.readUInt16LE(offset + 10),
      compressedSize: zip.readUInt32LE(offset + 20),
      dataStart: local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28),
    });
    offset += 46 + nameLength + zip.readUInt16LE(offset + 30) + zip.readUInt16LE(offset + 32);
  }
  return entries;
}

/** Unzips the package into `directory` (stored or deflated entries, as serverless writes them). */
async function unpack(zip: Buffer, directory: string): Promise<ZipEntry[]> {
  const entries = zipEntries(zip);
  for (const entry of entries) {
    if (entry.name.endsWith('/')) continue;
    const data = zip.subarray(entry.dataStart, entry.dataStart + entry.compressedSize);
    const path = join(directory, entry.name);
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, entry.method === 8 ? inflateRawSync(data) : data);
  }
  return entries;
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
  await writeFile(requestFile, JSON.stringify({ environment, boxes, options, warmRuns: 3, workerRole: WORKER_ROLE }));
  const runs: ColdStart['runs'] = [];
  for (let i = 0; i < processes; i++) {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--enable-source-maps', join(__dirname, 'cold-start-child.js'), join(directory, HANDLER), input, requestFile],
      // Lambda's environment: no inherited NODE_OPTIONS (tsx's loader) in the child.
      { cwd: directory, env: { PATH: process.env.PATH ?? '' }, maxBuffer: 1 << 20 },
    ).catch((error: { stderr?: string; message: string }) => {
      throw new Error(`cold start failed: ${error.stderr?.trim() || error.message}`);
    });
    runs.push(JSON.parse(stdout.trim().split('\n').pop()!) as ColdStart['runs'][number]);
  }
  return {
    processes,
    moduleLoadMs: median(runs.map((run) => run.moduleLoadMs)),
    workerReadyMs: median(runs.map((run) => run.workerReadyMs)),
    firstRenderMs: median(runs.map((run) => run.firstRenderMs)),
    warmRenderMs: median(runs.flatMap((run) => run.warmRendersMs)),
    runs,
  };
}
