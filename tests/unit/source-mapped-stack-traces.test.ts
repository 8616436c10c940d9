import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';

const INSTALL = join(__dirname, '../../src/source-mapped-stack-traces.ts');

/**
 * Bundles as serverless.yml does (minified, linked source map) an entry that imports the module under test
 * first (or not), then a module that throws from a named function when called, or while it loads; runs the
 * bundle in a fresh Node without --enable-source-maps and returns the stack trace it printed.
 */
describe('source-mapped stack traces of a bundle', () => {
  let directory: string;
  beforeAll(() => {
    directory = mkdtempSync(join(tmpdir(), 'stack-traces-'));
    writeFileSync(
      join(directory, 'thrower.ts'),
      [
        'export function explodeNow(reason: string): never {',
        '  throw new RangeError(`exploded: ${reason}`);',
        '}',
        'export class Exploder {',
        '  constructor() {',
        '    explodeNow("constructed");',
        '  }',
        '}',
        'if (process.env.THROW_WHILE_LOADING) explodeNow("while loading");',
        '',
      ].join('\n'),
    );
  });
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  async function stackTraceOf(
    name: string,
    {
      installed,
      whileLoading = false,
      flags = [],
      call = 'run',
    }: { installed: boolean; whileLoading?: boolean; flags?: string[]; call?: string },
  ) {
    const entry = join(directory, `${name}.ts`);
    writeFileSync(
      entry,
      [
        installed ? `import ${JSON.stringify(INSTALL)};` : '',
        "import { explodeNow, Exploder } from './thrower';",
        'export function run(): void {',
        '  explodeNow("called");',
        '}',
        'export function construct(): void {',
        '  new Exploder();',
        '}',
        '',
      ].join('\n'),
    );
    const outfile = join(directory, 'out', `${name}.js`);
    await build({
      entryPoints: [entry],
      bundle: true,
      minify: true,
      platform: 'node',
      sourcemap: 'linked',
      sourcesContent: false,
      outfile,
      logLevel: 'silent',
    });
    const runner = `try { require(${JSON.stringify(outfile)}).${call}(); } catch (error) { console.log(error.stack); }`;
    return execFileSync(process.execPath, [...flags, '-e', runner], {
      env: { PATH: process.env.PATH, ...(whileLoading ? { THROW_WHILE_LOADING: '1' } : {}) },
      encoding: 'utf8',
    });
  }

  it('names the original file, line, column and function of each frame in our code', async () => {
    const stack = await stackTraceOf('called', { installed: true });

    expect(stack).toMatch(/^RangeError: exploded: called\n/);
    expect(stack).toContain(`at explodeNow (${join(directory, 'thrower.ts')}:2:9)`);
    // Called from outside the bundle, `run` keeps its minified name, as Node's own mapping leaves it.
    expect(stack).toContain(`(${join(directory, 'called.ts')}:4:3)`);
  });

  it('maps the frame of a constructor the error went through, written after `new`', async () => {
    const stack = await stackTraceOf('constructed', { installed: true, call: 'construct' });

    expect(stack).toContain(`at explodeNow (${join(directory, 'thrower.ts')}:2:9)`);
    // The class keeps its minified name here, as Node's own mapping leaves it (the map names no function there).
    expect(stack).toContain(`(${join(directory, 'thrower.ts')}:6:5)`);
    expect(stack).toMatch(/\n +at new \S+ \(/);
    expect(stack).toContain(`(${join(directory, 'constructed.ts')}:7:3)`);
  });

  it('maps an error thrown while the bundle loads, before the rest of it has run', async () => {
    const stack = await stackTraceOf('loading', { installed: true, whileLoading: true });

    expect(stack).toMatch(/^RangeError: exploded: while loading\n/);
    expect(stack).toContain(`at explodeNow (${join(directory, 'thrower.ts')}:2:9)`);
    expect(stack).toContain(`${join(directory, 'thrower.ts')}:9:`);
  });

  it('gives positions in the bundle without it (what Lambda would log)', async () => {
    const stack = await stackTraceOf('plain', { installed: false });

    expect(stack).toContain(join(directory, 'out', 'plain.js'));
    expect(stack).not.toContain('thrower.ts');
  });

  it('leaves the mapping to Node where --enable-source-maps is on', async () => {
    const stack = await stackTraceOf('flagged', { installed: true, flags: ['--enable-source-maps'] });

    expect(stack).toContain(`${join(directory, 'thrower.ts')}:2:9`);
  });
});
