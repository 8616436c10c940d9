import { readFile } from 'node:fs/promises';

/**
 * Compiles a codec's .wasm file from its package. The codecs' own glue would fetch it from a URL next to
 * their script, which Node cannot do for files and which the one-file Lambda bundle moves; serverless.yml
 * packages each file at its node_modules path, where require.resolve finds it at run time.
 */
export async function compilePackagedWasm(specifier: string): Promise<WebAssembly.Module> {
  return WebAssembly.compile(await readFile(require.resolve(specifier)));
}
