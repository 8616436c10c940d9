import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, resolve } from 'node:path';

/**
 * Stack traces of the bundled functions that name our source files, lines and functions, as Node's
 * `--enable-source-maps` writes them, but with each bundle's source map read the first time a stack
 * trace passes through that bundle rather than at every start: Node reads and indexes a bundle's map
 * as it loads the bundle when that flag is on, which cost the thumbnail function about 7 ms of every
 * cold start (make bench) for stack traces most containers never write.
 *
 * Importing this module installs it (Error.prepareStackTrace, which V8 calls when an error's `stack` is
 * first read): each entry point imports it first, so that even an error thrown while the other modules
 * load (a configuration error) is mapped. Source maps are the bundles' linked `<file>.map`, which hold
 * our own code's mappings only (plugins/esbuild/own-code-source-maps.js); frames anywhere else are
 * written as V8 writes them.
 */

const sourceMaps = new Map<string, SourceMap | undefined>();

function sourceMapOf(file: string): SourceMap | undefined {
  if (!sourceMaps.has(file)) {
    let sourceMap: SourceMap | undefined;
    try {
      sourceMap = new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8')));
    } catch {
      sourceMap = undefined;
    }
    sourceMaps.set(file, sourceMap);
  }
  return sourceMaps.get(file);
}

interface Origin {
  /** The bundle the frame is in. */
  readonly bundle: string;
  /** Absolute path of the original source file. */
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** The original name of the identifier at that position, if the map has one. */
  readonly name?: string;
}

/** Where a frame's position in a bundle came from, or undefined outside a mapped bundle. */
function originOf(site: NodeJS.CallSite): Origin | undefined {
  const file = site.getFileName();
  const line = site.getLineNumber();
  const column = site.getColumnNumber();
  if (!file?.endsWith('.js') || !file.startsWith('/') || !line || !column) return undefined;
  const entry = sourceMapOf(file)?.findEntry(line - 1, column - 1);
  if (!entry || !('originalSource' in entry) || !entry.originalSource) return undefined;
  return {
    bundle: file,
    file: resolve(dirname(file), entry.originalSource),
    line: entry.originalLine + 1,
    column: entry.originalColumn + 1,
    // Node returns it; @types/node's SourceMapping leaves it out.
    name: (entry as { name?: string }).name,
  };
}

/** The original name of the function a frame is in: where the map names it, as Node finds it. */
function originalFunctionName(site: NodeJS.CallSite, origin: Origin, caller: Origin | undefined): string | undefined {
  // The name at the function's own start (V8 gives the position), else at the caller's call to it.
  const line = site.getEnclosingLineNumber();
  const column = site.getEnclosingColumnNumber();
  const enclosing = line && column ? sourceMapOf(origin.bundle)?.findEntry(line - 1, column - 1) : undefined;
  return (
    (enclosing as { name?: string } | undefined)?.name ?? (caller?.bundle === origin.bundle ? caller.name : undefined)
  );
}

/** One frame as V8 writes it, with the bundle's position and the function's minified name replaced. */
function mappedFrame(site: NodeJS.CallSite, origin: Origin | undefined, caller: Origin | undefined): string {
  const written = site.toString();
  if (!origin) return written;
  const position = `${origin.bundle}:${site.getLineNumber()}:${site.getColumnNumber()}`;
  const mapped = written.replace(position, `${origin.file}:${origin.line}:${origin.column}`);
  const minified = site.getFunctionName();
  const name = originalFunctionName(site, origin, caller);
  if (!minified || !name) return mapped;
  // The name as V8 writes it: after the start, a space (`async`, `new`) or a type's dot, before the
  // location or an `[as method]`; a one-letter name must not be taken from `Object` or `async`.
  const escaped = minified.replace(/[$.*+?^()[\]{}|\\]/g, '\\$&');
  return mapped.replace(new RegExp(`(^|[ .])${escaped}(?= \\[as | \\()`), `$1${name}`);
}

function header(error: Error): string {
  try {
    return Error.prototype.toString.call(error);
  } catch {
    return '<error>';
  }
}

// Where Node already maps stack traces (--enable-source-maps, or tsx, which turns it on), it is left to.
if (!process.sourceMapsEnabled) {
  // Another formatter (jest's) keeps the stack traces that pass through no bundle of ours.
  const previous = Error.prepareStackTrace;
  Error.prepareStackTrace = (error: Error, sites: NodeJS.CallSite[]): unknown => {
    const origins = sites.map(originOf);
    if (previous && !origins.some(Boolean)) return previous(error, sites);
    return [header(error), ...sites.map((site, i) => `    at ${mappedFrame(site, origins[i], origins[i + 1])}`)].join(
      '\n',
    );
  };
}
