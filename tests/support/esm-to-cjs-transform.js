'use strict';

// Jest transformer for dependencies published only as ES modules: esbuild (already used to bundle the
// functions) turns them into CommonJS the same way it does in the Lambda bundle, including import.meta
// (emscripten glue reads import.meta.url) and dynamic import().
const { transformSync } = require('esbuild');

module.exports = {
  process(sourceText, sourcePath) {
    const { code, map } = transformSync(sourceText, {
      loader: 'js',
      format: 'cjs',
      target: 'node20',
      platform: 'node',
      sourcefile: sourcePath,
      sourcemap: 'external',
      supported: { 'dynamic-import': false },
      logLevel: 'silent',
    });
    return { code, map };
  },
};
