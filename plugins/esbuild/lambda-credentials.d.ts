import type { Plugin } from 'esbuild';

export declare function lambdaCredentials(): Plugin;
export declare const REPLACEMENT: string;
