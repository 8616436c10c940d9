import type { Plugin } from 'esbuild';

export declare function awsSdkPlugins(): Plugin[];
