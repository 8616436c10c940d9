import type { Plugin } from 'esbuild';

export declare function lambdaCredentials(): Plugin;
