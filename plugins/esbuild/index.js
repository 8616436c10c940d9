'use strict';
/** The esbuild plugins serverless-esbuild runs on every function's build (custom.esbuild.plugins). */
const { lambdaCredentials } = require('./lambda-credentials');
const { ownCodeSourceMaps } = require('./own-code-source-maps');
const { renderThreadBundle } = require('./render-thread-bundle');

module.exports = (serverless) => [lambdaCredentials(), ownCodeSourceMaps(), renderThreadBundle(serverless)];
