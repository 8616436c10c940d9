import { decode } from '@jridgewell/sourcemap-codec';
import { build } from 'esbuild';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ownCodeSourceMaps } = require('../../../plugins/esbuild/own-code-source-maps') as {
  ownCodeSourceMaps: () => import('esbuild').Plugin;
};

/**
 * A bundle of our own module and a dependency under node_modules, built with and without the plugin: the
 * map keeps our mappings exactly and drops the dependency's.
 */
describe('own-code-source-maps', () => {
  let directory: string;
  beforeAll(() => {
    directory = mkdtempSync(join(tmpdir(), 'own-code-maps-'));
    writeFileSync(join(directory, 'package.json'), '{}');
    const dependency = join(directory, 'node_modules', 'dependency');
    mkdirSync(dependency, { recursive: true });
    writeFileSync(join(dependency, 'index.js'), 'exports.twice = function twice(x) {\n  return x * 2;\n};\n');
    writeFileSync(
      join(directory, 'main.js'),
      "const { twice } = require('dependency');\nexports.run = function run(x) {\n  return twice(x) + 1;\n};\n",
    );
  });
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  async function bundle(name: string, withPlugin: boolean) {
    const outfile = join(directory, `${name}.js`);
    await build({
      entryPoints: [join(directory, 'main.js')],
      bundle: true,
      minify: true,
      platform: 'node',
      sourcemap: 'linked',
      sourcesContent: false,
      outfile,
      logLevel: 'silent',
      plugins: withPlugin ? [ownCodeSourceMaps()] : [],
    });
    return { code: readFileSync(outfile, 'utf8'), map: JSON.parse(readFileSync(`${outfile}.map`, 'utf8')) };
  }

  it('keeps the mappings of our code and drops those into node_modules', async () => {
    const full = await bundle('full', false);
    const own = await bundle('own', true);
    expect(own.code).toBe(full.code.replace('full.js.map', 'own.js.map'));
    expect(full.map.sources.some((source: string) => source.includes('node_modules'))).toBe(true);
    expect(own.map.sources).toEqual(full.map.sources.filter((source: string) => !source.includes('node_modules')));

    // Each generated position of main.js maps to the same file, line, column and name; none into the dependency.
    interface SourceMap {
      sources: string[];
      names: string[];
      mappings: string;
    }
    const positions = (map: SourceMap) =>
      decode(map.mappings).flatMap((segments, line) =>
        segments
          .filter((segment) => segment.length > 1)
          .map(([column, source, sourceLine, sourceColumn, name]) => ({
            at: `${line}:${column}`,
            source: map.sources[source!]!,
            position: `${sourceLine}:${sourceColumn}`,
            name: name === undefined ? undefined : map.names[name],
          })),
      );
    const ours = positions(full.map).filter(({ source }) => !source.includes('node_modules'));
    expect(positions(own.map)).toEqual(ours);
    const compared = ours.length;
    expect(compared).toBeGreaterThan(0);
  });
});
