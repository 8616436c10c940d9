'use strict';
/**
 * own-code-source-maps: keeps only the mappings of this project's own code in each bundle's source map.
 * A map is read and parsed whole when the first stack trace is written (src/source-mapped-stack-traces.ts),
 * so its size is time spent then: the thumbnail handler's map was 0.9 MB, 95% of it mappings into
 * dependencies (the AWS SDK above all). A stack trace still names our files, lines and functions; a frame
 * inside a dependency shows its position in the bundle instead.
 */
const fs = require('node:fs');
const { decode, encode } = require('@jridgewell/sourcemap-codec');

const DEPENDENCY = /(^|[/\\])node_modules[/\\]/;

/** The map without segments into dependencies, its sources and names renumbered to those still used. */
function ownCodeOnly(map) {
  const sources = new Map();
  const names = new Map();
  const index = (table, value) => {
    if (!table.has(value)) table.set(value, table.size);
    return table.get(value);
  };
  const lines = decode(map.mappings).map((line) =>
    line
      .filter((segment) => segment.length === 1 || !DEPENDENCY.test(map.sources[segment[1]]))
      .map((segment) => {
        if (segment.length === 1) return segment;
        const [column, source, line, sourceColumn, name] = segment;
        const mapped = [column, index(sources, map.sources[source]), line, sourceColumn];
        return segment.length === 5 ? [...mapped, index(names, map.names[name])] : mapped;
      }),
  );
  return { ...map, sources: [...sources.keys()], names: [...names.keys()], mappings: encode(lines) };
}

function ownCodeSourceMaps() {
  return {
    name: 'own-code-source-maps',
    setup(build) {
      // The output files' names (not written to disk: serverless-esbuild writes a metafile only when
      // custom.esbuild.metafile is set).
      build.initialOptions.metafile = true;
      build.onEnd((result) => {
        if (result.errors.length > 0 || !result.metafile) return;
        // Called once the files are written.
        for (const output of Object.keys(result.metafile.outputs).filter((file) => file.endsWith('.map'))) {
          const map = JSON.parse(fs.readFileSync(output, 'utf8'));
          fs.writeFileSync(output, JSON.stringify(ownCodeOnly(map)));
        }
      });
    },
  };
}

module.exports = { ownCodeOnly, ownCodeSourceMaps };
