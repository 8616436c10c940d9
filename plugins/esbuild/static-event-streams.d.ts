import type { Plugin } from 'esbuild';

export declare function staticEventStreams(): Plugin;
export declare function withStaticEventStreams(source: string, file: string): string;
