/**
 * What `make build` zips into each function's package: the render step is a bundle of its own
 * (plugins/esbuild/render-thread-bundle.js), shipped with the functions that render and only with them, so the
 * thumbnail function's module load (its cold start) compiles none of the codecs and the render thread
 * none of the AWS SDK.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readEntry, zipEntries } from '../../scripts/bench/zip';
import { RENDER_THREAD_BUNDLE } from '../../src/thumbnail/render-protocol';

const packages = join(__dirname, '../../.serverless');

function files(functionName: string): Map<string, () => string> {
  const zip = readFileSync(join(packages, `${functionName}.zip`));
  return new Map(zipEntries(zip).map((entry) => [entry.name, () => readEntry(zip, entry).toString('utf8')]));
}

const THREAD = `src/handlers/${RENDER_THREAD_BUNDLE}`;
// Strings only the codecs' code holds (the paths of their WebAssembly files), and only the SDK's.
const CODEC_MARKERS = ['mozjpeg_dec.wasm', 'jpeg-turbo.wasm', 'avif_dec.wasm', 'webp_dec.wasm'];
const SDK_MARKER = 'x-amz-content-sha256';

describe('the function packages', () => {
  it.each(['thumbnail', 'video'])('ship the render thread with the %s function, which renders', (name) => {
    const packaged = files(name);
    expect([...packaged.keys()]).toEqual(expect.arrayContaining([THREAD, `${THREAD}.map`]));
    const thread = packaged.get(THREAD)!();
    for (const marker of CODEC_MARKERS) expect(thread).toContain(marker);
    expect(thread).not.toContain(SDK_MARKER);
  });

  it.each(['thumbnail', 'video'])(
    'hold every WebAssembly file the render thread reads by package path (%s)',
    (name) => {
      const packaged = files(name);
      // The specifiers src/images/ passes to require.resolve; bare names are the codecs' glue defaults, unused.
      const specifiers = [...new Set(packaged.get(THREAD)!().match(/(?<=")[@\w.-]+\/[@\w./-]+\.wasm(?=")/g))];
      expect(specifiers).toEqual(expect.arrayContaining(['dav1d.js/dav1d.wasm', '@cwasm/jpeg-turbo/jpeg-turbo.wasm']));
      const missing = specifiers.filter((specifier) => !packaged.has(`node_modules/${specifier}`));
      expect(missing).toEqual([]);
    },
  );

  it.each(['redrive', 'notify'])('leave the render thread out of the %s function, which does not', (name) => {
    expect([...files(name).keys()].filter((file) => file.includes('render-thread'))).toEqual([]);
  });

  it("keep the codecs out of the thumbnail handler's bundle", () => {
    const handler = files('thumbnail').get('src/handlers/thumbnail.js')!();
    expect(handler).toContain(SDK_MARKER);
    for (const marker of CODEC_MARKERS) expect(handler).not.toContain(marker);
  });
});
