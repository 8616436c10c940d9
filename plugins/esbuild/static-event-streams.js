'use strict';
/**
 * static-event-streams: @smithy/core's HttpProtocol loads its event-stream support with a dynamic
 * `import("@smithy/core/event-streams")`, so that bundlers can split it into a chunk of its own. In our
 * one-file CommonJS bundles there is no chunk to split: esbuild instead turns event-streams and every
 * module it depends on (182 in the thumbnail handler) into functions run on first use, and since the S3
 * client imports event-streams statically anyway, all of them run at start-up, each parsed twice (once
 * with the bundle, once when first called). Importing it statically here makes them ordinary top-level
 * code: 7 ms less module load for the thumbnail handler (paired A/B, make bench's machine), same code.
 * Throws when @smithy/core no longer has that import, so an upgrade makes someone look again.
 */
const { rewriteOnLoad } = require('./rewrite-on-load');

const HTTP_PROTOCOL = /[/\\]@smithy[/\\]core[/\\]dist-es[/\\]submodules[/\\]protocols[/\\]HttpProtocol\.js$/;
const DYNAMIC_IMPORT = 'await import("@smithy/core/event-streams")';
const NAMESPACE = '__staticEventStreams';

/** HttpProtocol.js's source with the dynamic import of event-streams replaced by a static one. */
function withStaticEventStreams(source, file) {
  if (!source.includes(DYNAMIC_IMPORT)) {
    throw new Error(
      `static-event-streams: ${file} no longer has ${DYNAMIC_IMPORT}; see plugins/esbuild/static-event-streams.js`,
    );
  }
  return `import * as ${NAMESPACE} from "@smithy/core/event-streams";\n${source.replaceAll(DYNAMIC_IMPORT, NAMESPACE)}`;
}

const staticEventStreams = () => rewriteOnLoad('static-event-streams', HTTP_PROTOCOL, withStaticEventStreams);

module.exports = { staticEventStreams, withStaticEventStreams };
