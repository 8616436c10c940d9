'use strict';

// Jest transformer for dependencies published only as ES modules: esbuild (already used to bundle the
// functions) turns them into CommonJS the same way it does in the Lambda bundle, including import.meta
// (emscripten glue reads import.meta.url) and dynamic import().
const { transformSync } = require('esbuild');
const { pathToFileURL } = require('node:url');

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
      // lcms-wasm's glue (unlike @jsquash's, which falls back) needs import.meta.url under Node: the
      // file's own URL, as Node gives it. In the Lambda bundle lcms-wasm is loaded as an ES module.
      ...(/[\\/]node_modules[\\/]lcms-wasm[\\/]/.test(sourcePath)
        ? { define: { 'import.meta.url': JSON.stringify(pathToFileURL(sourcePath).href) } }
        : {}),
    });
    return { code, map };
  },
};
