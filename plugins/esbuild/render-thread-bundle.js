'use strict';
/**
 * render-thread-bundle: the functions that render images (those whose bundle holds
 * src/thumbnail/render-worker.ts) start the render step in a worker thread, from a file of its own:
 * src/handlers/render-thread.js, built here from src/thumbnail/render-thread.ts with the same options
 * as the handler. So the handler's bundle holds none of the codecs (its module load is the function's
 * cold start), and the thread loads none of the AWS SDK. serverless-esbuild builds one entry per
 * function; this adds the second beside it, in the function's own part of the build folder (`__only_`
 * + its name, which serverless-esbuild zips into that function's package alone).
 */
const path = require('node:path');
const { ownCodeSourceMaps } = require('./own-code-source-maps');

const THREAD_ENTRY = 'src/thumbnail/render-thread.ts';
// RENDER_THREAD_BUNDLE in src/thumbnail/render-protocol.ts, without its extension.
const THREAD_BUNDLE_NAME = 'render-thread';
const USES_THREAD = 'src/thumbnail/render-worker.ts';
// serverless-esbuild's ONLY_PREFIX: files under <build>/__only_<function>/ go into that function's zip.
const ONLY_PREFIX = '__only_';

/** The function names whose handler is in `entry` (a path like src/handlers/thumbnail.ts). */
function functionsOf(serverless, entry) {
  const module = entry.replace(/\.[cm]?[jt]s$/, '');
  return Object.entries(serverless.service.functions || {})
    .filter(([, fn]) => fn.handler && fn.handler.slice(0, fn.handler.lastIndexOf('.')) === module)
    .map(([name]) => name);
}

function renderThreadBundle(serverless) {
  return {
    name: 'render-thread-bundle',
    setup(build) {
      const options = build.initialOptions;
      // To see which modules the handler's bundle holds (not written to disk: serverless-esbuild writes
      // a metafile only when custom.esbuild.metafile is set).
      options.metafile = true;
      build.onEnd(async (result) => {
        if (result.errors.length > 0 || !result.metafile) return;
        if (!Object.keys(result.metafile.inputs).some((input) => input.endsWith(USES_THREAD))) return;
        const [entry] = Array.isArray(options.entryPoints) ? options.entryPoints : [];
        if (typeof entry !== 'string') throw new Error('render-thread-bundle: expected one handler entry point');
        const entryDir = path.dirname(entry);
        const buildDir = path.resolve(options.outdir, path.relative(entryDir, '.'));
        const { build: esbuild } = require('esbuild');
        for (const name of functionsOf(serverless, entry)) {
          await esbuild({
            ...options,
            plugins: [ownCodeSourceMaps()],
            entryPoints: { [THREAD_BUNDLE_NAME]: THREAD_ENTRY },
            outdir: path.join(buildDir, `${ONLY_PREFIX}${name}`, entryDir),
          });
        }
      });
    },
  };
}

module.exports = { renderThreadBundle };
