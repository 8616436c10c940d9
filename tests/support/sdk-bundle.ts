import { build, type Plugin } from 'esbuild';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

export interface SdkBundle {
  readonly code: string;
  /** The bundle's exports, loaded in this process. */
  readonly exports: Record<string, unknown>;
}

/**
 * `source` (a module that imports from the installed packages) bundled as serverless.yml bundles the
 * functions (ES module builds first, CommonJS for Node), with `plugins`, unminified so tests can read it.
 */
export async function sdkBundle(source: string, plugins: Plugin[]): Promise<SdkBundle> {
  const directory = mkdtempSync(join(tmpdir(), 'sdk-bundle-'));
  try {
    const outfile = join(directory, 'bundle.js');
    await build({
      stdin: { contents: source, resolveDir: ROOT, loader: 'ts' },
      bundle: true,
      platform: 'node',
      target: 'node22',
      mainFields: ['module', 'main'],
      outfile,
      logLevel: 'silent',
      plugins,
    });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return { code: readFileSync(outfile, 'utf8'), exports: require(outfile) as Record<string, unknown> };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
