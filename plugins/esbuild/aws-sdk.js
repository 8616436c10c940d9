'use strict';
/**
 * The plugins that shape how the AWS SDK is bundled, for the functions (index.js) and for make bench's
 * bundle of the SDK clients alone (scripts/bench/cold-start.ts), which must be built the same way.
 */
const { lambdaCredentials } = require('./lambda-credentials');
const { literalSchemaKeys } = require('./literal-schema-keys');
const { staticEventStreams } = require('./static-event-streams');

const awsSdkPlugins = () => [lambdaCredentials(), literalSchemaKeys(), staticEventStreams()];

module.exports = { awsSdkPlugins };
