/**
 * The part of lcms-wasm (LittleCMS compiled to WebAssembly; the package ships no typings) that
 * src/images/colour.ts uses. Handles (profiles, transforms) and heap addresses are plain numbers.
 */
declare module 'lcms-wasm' {
  export interface LcmsModule {
    HEAPU8: Uint8Array;
    _malloc(bytes: number): number;
    _free(pointer: number): void;
    ccall(name: string, returns: 'number' | null, argumentTypes: 'number'[], args: number[]): number;
    cmsCreate_sRGBProfile(): number;
    cmsCloseProfile(profile: number): void;
    cmsGetColorSpace(profile: number): number;
    cmsCreateTransform(
      input: number,
      inputFormat: number,
      output: number,
      outputFormat: number,
      intent: number,
      flags: number,
    ): number;
    cmsDeleteTransform(transform: number): void;
  }

  export interface InstantiateOptions {
    /** The .wasm bytes; without them the glue looks for lcms.wasm next to itself. */
    wasmBinary?: Uint8Array;
    print?: (text: string) => void;
    printErr?: (text: string) => void;
  }

  export function instantiate(options?: InstantiateOptions): Promise<LcmsModule>;
}
