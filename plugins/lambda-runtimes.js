'use strict';

// Serverless Framework v3 validates `runtime` against a list frozen before nodejs22.x existed, and AWS
// no longer accepts the newest runtime on that list for new functions. v3 lets plugins extend the
// configuration schema, so this adds the Node.js runtimes AWS accepts today instead of turning
// validation off or overriding the generated CloudFormation.
const NEWER_NODE_RUNTIMES = ['nodejs22.x', 'nodejs24.x'];

class LambdaRuntimesPlugin {
  constructor(serverless) {
    const runtimes = serverless.configSchemaHandler.schema.definitions.awsLambdaRuntime.enum;
    for (const runtime of NEWER_NODE_RUNTIMES) {
      if (!runtimes.includes(runtime)) runtimes.push(runtime);
    }
  }
}

module.exports = LambdaRuntimesPlugin;
