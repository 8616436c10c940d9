'use strict';
/** The esbuild plugins serverless-esbuild runs on every function's build (custom.esbuild.plugins). */
const { awsSdkPlugins } = require('./aws-sdk');
const { ownCodeSourceMaps } = require('./own-code-source-maps');
const { renderThreadBundle } = require('./render-thread-bundle');

module.exports = (serverless) => [...awsSdkPlugins(), ownCodeSourceMaps(), renderThreadBundle(serverless)];
