/**
 * Benchmark inputs: photo-like images generated deterministically by scripts/lib/sample-images.ts and
 * cached under .bench-cache/ at the repository root, so only the first run pays for generating them
 * (jimp takes a while to encode 24 MP). A file's name holds the input's name, dimensions, seed and a hash
 * of the generator's source, so changing any of them generates a new file instead of reusing a stale one.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { makePhotoJpeg, makePhotoPng } from '../../tests/support/sample-images';

export const ROOT = resolve(__dirname, '..', '..');
export const CACHE_DIR = join(ROOT, '.bench-cache');

export interface InputSpec {
  readonly name: string;
  readonly width: number;
  readonly height: number;
  readonly format: 'jpeg' | 'png';
  readonly seed: number;
}

export const INPUTS: readonly InputSpec[] = [
  { name: '1mp', width: 1224, height: 816, format: 'jpeg', seed: 1 },
  { name: '12mp', width: 4240, height: 2832, format: 'jpeg', seed: 2 },
  { name: '24mp', width: 6000, height: 4000, format: 'jpeg', seed: 3 },
  { name: 'png12mp', width: 4240, height: 2832, format: 'png', seed: 4 }, // with a transparent vignette
];

export interface PreparedInput {
  readonly spec: InputSpec;
  readonly path: string;
  readonly bytes: number;
  /** How long generating it took, or undefined when it came from the cache. */
  readonly generatedMs?: number;
}

function generatorHash(): string {
  const source = readFileSync(join(ROOT, 'scripts', 'lib', 'sample-images.ts'));
  return createHash('sha256').update(source).digest('hex').slice(0, 8);
}

export function cachePath(spec: InputSpec): string {
  const ext = spec.format === 'jpeg' ? 'jpg' : 'png';
  return join(CACHE_DIR, `${spec.name}-${spec.width}x${spec.height}-seed${spec.seed}-${generatorHash()}.${ext}`);
}

/** The input's file, generated (JPEG quality 90, like a camera) unless already cached. */
export async function prepareInput(spec: InputSpec): Promise<PreparedInput> {
  const path = cachePath(spec);
  if (existsSync(path)) return { spec, path, bytes: (await stat(path)).size };
  const started = performance.now();
  const body =
    spec.format === 'jpeg'
      ? await makePhotoJpeg(spec.width, spec.height, spec.seed, 90)
      : await makePhotoPng(spec.width, spec.height, spec.seed);
  await mkdir(CACHE_DIR, { recursive: true });
  // Write then rename, so an interrupted run never leaves a truncated file in the cache.
  const partial = `${path}.${process.pid}.partial`;
  await writeFile(partial, body);
  await rename(partial, path);
  return { spec, path, bytes: body.length, generatedMs: performance.now() - started };
}
