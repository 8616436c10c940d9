/**
 * The part of @cornerstonejs/codec-libjpeg-turbo-8bit's WebAssembly build (libjpeg-turbo's TurboJPEG
 * API behind an Emscripten module; the package ships no typings) that codecs/libjpeg-turbo-encoder.ts uses.
 */
declare module '@cornerstonejs/codec-libjpeg-turbo-8bit/wasmjs' {
  export interface FrameInfo {
    width: number;
    height: number;
    bitsPerSample: number;
    componentCount: number;
    isSigned: boolean;
  }

  export interface JpegEncoder {
    /** A view of the encoder's input buffer in WebAssembly memory, sized for `frame` (RGB, 3 bytes a pixel). */
    getDecodedBuffer(frame: FrameInfo): Uint8Array;
    /** A copy of the last encoded file. */
    getEncodedBuffer(): Uint8ClampedArray;
    setQuality(quality: number): void;
    setProgressive(progressive: number): void;
    /** TurboJPEG's TJSAMP_*: 2 is 4:2:0. */
    setSubSampling(subsampling: number): void;
    encode(): void;
    delete(): void;
  }

  export interface LibjpegTurboModule {
    JPEGEncoder: new () => JpegEncoder;
  }

  export interface ModuleOptions {
    instantiateWasm(
      imports: WebAssembly.Imports,
      receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
    ): object;
    print(text: string): void;
    printErr(text: string): void;
  }

  const createModule: (options: ModuleOptions) => Promise<LibjpegTurboModule>;
  export default createModule;
}
