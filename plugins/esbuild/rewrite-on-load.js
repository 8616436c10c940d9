'use strict';
/** An esbuild plugin that bundles the JavaScript files matching `filter` as `rewrite(source, path)` returns them. */
const { readFile } = require('node:fs/promises');
const path = require('node:path');

function rewriteOnLoad(name, filter, rewrite) {
  return {
    name,
    setup(build) {
      build.onLoad({ filter }, async (args) => ({
        contents: rewrite(await readFile(args.path, 'utf8'), args.path),
        loader: 'js',
        resolveDir: path.dirname(args.path),
      }));
    },
  };
}

module.exports = { rewriteOnLoad };
