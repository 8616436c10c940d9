'use strict';
/* global __dirname */
/**
 * lambda-credentials: bundles src/aws/lambda-credentials.ts in place of @aws-sdk/credential-provider-node
 * (the SDK's default credential chain), which the AWS SDK clients import for their default credentials.
 * Why: see that module.
 */
const path = require('node:path');

const REPLACEMENT = path.join(__dirname, '..', '..', 'src', 'aws', 'lambda-credentials.ts');

function lambdaCredentials() {
  return {
    name: 'lambda-credentials',
    setup(build) {
      build.onResolve({ filter: /^@aws-sdk\/credential-provider-node$/ }, () => ({ path: REPLACEMENT }));
    },
  };
}

module.exports = { lambdaCredentials };
