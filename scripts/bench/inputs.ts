/**
 * Benchmark inputs: photo-like images generated deterministically by tests/support/sample-images.ts and
 * cached under .bench-cache/ at the repository root, so only the first run pays for generating them
 * (jimp takes a while to encode 24 MP, libaom to encode 12 MP AVIF). A file's name holds the input's name,
 * dimensions, seed, encoder quality and a hash of the generator's source (and, for HEIC, of the pinned
 * encoder), so changing any of them generates a new file instead of reusing a stale one.
 *
 * WebP and AVIF are encoded by sharp, like a web export. sharp cannot write HEIC, so a HEIC input is
 * encoded by pillow-heif (libheif with x265, what a phone uses) in the bench venv, from a PNG of the same
 * pixels, which stays in the cache: the quality check compares the thumbnails with that PNG's.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { makePhotoJpeg, makePhotoPng, photoLikePixels } from '../../tests/support/sample-images';

export const ROOT = resolve(__dirname, '..', '..');
export const CACHE_DIR = join(ROOT, '.bench-cache');
/** Made by `scripts/python-venv.sh requirements-bench.txt .venv-bench` (`make bench` does it). */
const BENCH_VENV_PYTHON = join(ROOT, '.venv-bench', 'bin', 'python');
const HEIC_ENCODER = join(__dirname, 'encode-heic.py');

export type InputFormat = 'jpeg' | 'png' | 'webp' | 'avif' | 'heic';

export interface InputSpec {
  readonly name: string;
  readonly width: number;
  readonly height: number;
  readonly format: InputFormat;
  readonly seed: number;
  /** Encoder quality, for the lossy formats other than JPEG (JPEG is always 90, like a camera). */
  readonly quality?: number;
}

/**
 * The WebP, AVIF and HEIC inputs carry the 12 MP JPEG's pixels (same seed), opaque, so their rows differ
 * from the JPEG row by the format alone.
 */
export const INPUTS: readonly InputSpec[] = [
  { name: '1mp', width: 1224, height: 816, format: 'jpeg', seed: 1 },
  { name: '12mp', width: 4240, height: 2832, format: 'jpeg', seed: 2 },
  { name: '24mp', width: 6000, height: 4000, format: 'jpeg', seed: 3 },
  { name: 'png12mp', width: 4240, height: 2832, format: 'png', seed: 4 }, // with a transparent vignette
  { name: 'webp12mp', width: 4240, height: 2832, format: 'webp', seed: 2, quality: 85 },
  { name: 'avif12mp', width: 4240, height: 2832, format: 'avif', seed: 2, quality: 80 },
  { name: 'heic12mp', width: 4240, height: 2832, format: 'heic', seed: 2, quality: 85 },
];

/** A small input of the given format, run untimed before the timed rounds so no run pays for loading codecs. */
export function warmUpSpec(format: InputFormat): InputSpec {
  return { name: `warmup-${format}`, width: 640, height: 480, format, seed: 99, quality: 85 };
}

export interface PreparedInput {
  readonly spec: InputSpec;
  readonly path: string;
  readonly bytes: number;
  /** For HEIC: the lossless PNG the HEIC was encoded from, the reference for the quality check. */
  readonly referencePath?: string;
  /** How long generating it took, or undefined when it came from the cache. */
  readonly generatedMs?: number;
}

function hashOf(...files: string[]): string {
  const hash = createHash('sha256');
  for (const file of files) hash.update(readFileSync(join(ROOT, file)));
  return hash.digest('hex').slice(0, 8);
}

function generatorHash(format: InputFormat): string {
  const generator = join('tests', 'support', 'sample-images.ts');
  return format === 'heic'
    ? hashOf(generator, 'requirements-bench.txt', join('scripts', 'bench', 'encode-heic.py'))
    : hashOf(generator);
}

const EXTENSIONS: Record<InputFormat, string> = { jpeg: 'jpg', png: 'png', webp: 'webp', avif: 'avif', heic: 'heic' };

export function cachePath(spec: InputSpec, ext = EXTENSIONS[spec.format]): string {
  const quality =
    spec.quality === undefined || spec.format === 'jpeg' || spec.format === 'png' ? '' : `-q${spec.quality}`;
  const stem = `${spec.name}-${spec.width}x${spec.height}-seed${spec.seed}${quality}-${generatorHash(spec.format)}`;
  return join(CACHE_DIR, `${stem}.${ext}`);
}

/** Write then rename, so an interrupted run never leaves a truncated file in the cache. */
async function writeAtomically(path: string, body: Buffer): Promise<void> {
  await mkdir(CACHE_DIR, { recursive: true });
  const partial = `${path}.${process.pid}.partial`;
  await writeFile(partial, body);
  await rename(partial, path);
}

/** The photo-like pixels without alpha, as sharp input. */
function opaquePixels(spec: InputSpec) {
  const data = photoLikePixels(spec.width, spec.height, spec.seed);
  return sharp(data, { raw: { width: spec.width, height: spec.height, channels: 4 } }).removeAlpha();
}

async function encodeHeic(pngPath: string, heicPath: string, quality: number): Promise<void> {
  if (!existsSync(BENCH_VENV_PYTHON)) {
    throw new Error(
      'HEIC inputs need the bench venv: run `scripts/python-venv.sh requirements-bench.txt .venv-bench` ' +
        '(`make bench` does), or leave HEIC out with --inputs',
    );
  }
  const partial = `${heicPath}.${process.pid}.partial`;
  await promisify(execFile)(BENCH_VENV_PYTHON, [HEIC_ENCODER, pngPath, partial, String(quality)]).catch(
    (error: { stderr?: string; message: string }) => {
      throw new Error(`encoding HEIC failed: ${error.stderr?.trim() || error.message}`);
    },
  );
  await rename(partial, heicPath);
}

async function generate(spec: InputSpec, path: string): Promise<{ referencePath?: string }> {
  const quality = spec.quality ?? 85;
  switch (spec.format) {
    case 'jpeg':
      await writeAtomically(path, await makePhotoJpeg(spec.width, spec.height, spec.seed, 90));
      return {};
    case 'png':
      await writeAtomically(path, await makePhotoPng(spec.width, spec.height, spec.seed));
      return {};
    case 'webp':
      await writeAtomically(path, await opaquePixels(spec).webp({ quality }).toBuffer());
      return {};
    case 'avif':
      // 4:2:0 like a phone's or a web export's AVIF (sharp defaults to 4:4:4).
      await writeAtomically(path, await opaquePixels(spec).avif({ quality, chromaSubsampling: '4:2:0' }).toBuffer());
      return {};
    case 'heic': {
      const referencePath = cachePath(spec, 'source.png');
      if (!existsSync(referencePath)) await writeAtomically(referencePath, await opaquePixels(spec).png().toBuffer());
      await encodeHeic(referencePath, path, quality);
      return { referencePath };
    }
  }
}

/** The input's file, generated unless already cached. */
export async function prepareInput(spec: InputSpec): Promise<PreparedInput> {
  const path = cachePath(spec);
  const cachedReference = spec.format === 'heic' ? cachePath(spec, 'source.png') : undefined;
  if (existsSync(path) && (cachedReference === undefined || existsSync(cachedReference))) {
    return { spec, path, bytes: (await stat(path)).size, referencePath: cachedReference };
  }
  const started = performance.now();
  const { referencePath } = await generate(spec, path);
  return { spec, path, bytes: (await stat(path)).size, referencePath, generatedMs: performance.now() - started };
}
