'use strict';
/**
 * literal-schema-keys: lets esbuild drop the request and response shapes of the AWS SDK operations a
 * bundle never sends. Each client's dist-es/schemas/schemas_0.js defines every shape of its service
 * (S3: about 1,600, 138 KB) with trait objects like `{ [_hE]: 403 }`, whose keys are constants of the
 * same file (`const _hE = "httpError"`). esbuild keeps any statement with a computed key, in case the key
 * has side effects, so every shape stayed in every bundle and was built at every start. Here those keys
 * become the string literals they name, the same objects, and the unused shapes go: the thumbnail
 * handler's bundle loses 59 KB and about 8 ms of module load (paired A/B, make bench's machine).
 * Upstream: aws/aws-sdk-js-v3#7607, smithy-lang/smithy-typescript#1889; once the SDK writes literal keys
 * itself, this finds nothing to replace and changes nothing.
 */
const { rewriteOnLoad } = require('./rewrite-on-load');

const SCHEMAS = /[/\\]@aws-sdk[/\\]client-[\w-]+[/\\]dist-es[/\\]schemas[/\\]schemas_\d+\.js$/;
// `const _hE = "httpError";`, a whole line, as the SDK's code generator writes them.
const STRING_CONSTANT = /^const (_\w+) = ("[^"\\\n]*");$/gm;
// `[_hE]:` right after `{` or `,` (spaces and line breaks allowed): a computed key of an object literal.
const COMPUTED_KEY = /(?<=[{,]\s*)\[(_\w+)\]:/g;

/** The source with every computed key that names one of its string constants written as that string. */
function withLiteralSchemaKeys(source) {
  const constants = new Map([...source.matchAll(STRING_CONSTANT)].map(([, name, value]) => [name, value]));
  return source.replace(COMPUTED_KEY, (key, name) => (constants.has(name) ? `${constants.get(name)}:` : key));
}

const literalSchemaKeys = () => rewriteOnLoad('literal-schema-keys', SCHEMAS, withLiteralSchemaKeys);

module.exports = { literalSchemaKeys, withLiteralSchemaKeys };
