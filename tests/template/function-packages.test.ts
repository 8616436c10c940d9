/**
 * What `make build` zips into each function's package: the render step is a bundle of its own
 * (plugins/esbuild/render-thread-bundle.js), shipped with the functions that render and only with them, so the
 * thumbnail function's module load (its cold start) compiles none of the codecs and the render thread
 * none of the AWS SDK.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
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

  // The debug messages of the SDK's default chain (@aws-sdk/credential-provider-node), which
  // plugins/esbuild/lambda-credentials.js replaces with src/aws/lambda-credentials.ts.
  it.each(['thumbnail', 'video', 'redrive', 'notify'])(
    'give the %s function the credentials Lambda provides, without the SDK chain for machines',
    (name) => {
      const handler = files(name).get(`src/handlers/${name}.js`)!();
      expect(handler).toContain(SDK_MARKER);
      expect(handler).toContain('AWS_CONTAINER_CREDENTIALS_FULL_URI');
      expect(handler).not.toContain('defaultProvider::fromSSO');
      expect(handler).not.toContain('AssumeRoleWithWebIdentity');
    },
  );

  // Shapes of S3 and SQS operations none of the functions sends (plugins/esbuild/literal-schema-keys.js).
  it.each(['thumbnail', 'video', 'redrive', 'notify'])(
    'give the %s function only the AWS SDK request and response shapes it can send or receive',
    (name) => {
      const handler = files(name).get(`src/handlers/${name}.js`)!();
      expect(handler).toContain(SDK_MARKER);
      expect(handler).not.toContain('PutBucketLifecycleConfiguration');
      expect(handler).not.toContain('ListDeadLetterSourceQueues');
    },
  );

  // esbuild's form of an import() of a bundled ES module, whose code it then wraps to run on first use
  // (plugins/esbuild/static-event-streams.js). The video function imports its encoders so, on purpose.
  it.each(['thumbnail', 'redrive', 'notify'])("run all of the %s function's modules as it loads", (name) => {
    const handler = files(name).get(`src/handlers/${name}.js`)!();
    expect(handler).toContain(SDK_MARKER);
    expect(handler).not.toMatch(/Promise\.resolve\(\)\.then\(\(\)=>\([\w$]+\(\),[\w$]+\)\)/);
  });

  it('map the stack trace of an error thrown while the handler loads to our source, without --enable-source-maps', () => {
    const directory = mkdtempSync(join(tmpdir(), 'thumbnail-package-'));
    try {
      const packaged = files('thumbnail');
      for (const file of ['src/handlers/thumbnail.js', 'src/handlers/thumbnail.js.map']) {
        mkdirSync(dirname(join(directory, file)), { recursive: true });
        writeFileSync(join(directory, file), packaged.get(file)!());
      }
      const handler = join(directory, 'src/handlers/thumbnail.js');
      // No configuration in the environment: loadThumbnailConfig throws a ConfigError as the module loads.
      const stack = execFileSync(
        process.execPath,
        ['-e', `try { require(${JSON.stringify(handler)}); } catch (error) { console.log(error.stack); }`],
        { env: { PATH: process.env.PATH }, encoding: 'utf8' },
      );

      expect(stack).toMatch(/^ConfigError: /);
      // Sources are named relative to the build folder, as Node's own --enable-source-maps would name them.
      expect(stack).toMatch(/\n +at loadThumbnailConfig \(\S*\/src\/config\.ts:\d+:\d+\)\n/);
      expect(stack).toMatch(/\(\S*\/src\/handlers\/thumbnail\.ts:\d+:\d+\)\n/);
      expect(stack).not.toContain('thumbnail.js:');
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it("keep the codecs out of the thumbnail handler's bundle", () => {
    const handler = files('thumbnail').get('src/handlers/thumbnail.js')!();
    expect(handler).toContain(SDK_MARKER);
    for (const marker of CODEC_MARKERS) expect(handler).not.toContain(marker);
  });
});
