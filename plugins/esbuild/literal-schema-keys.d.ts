import type { Plugin } from 'esbuild';

export declare function literalSchemaKeys(): Plugin;
export declare function withLiteralSchemaKeys(source: string): string;
