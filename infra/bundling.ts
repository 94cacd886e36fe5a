import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { BuildOptions } from 'esbuild';

export type FunctionName = 'webhook' | 'sync' | 'reconcile';
export const FUNCTION_NAMES: readonly FunctionName[] = ['webhook', 'sync', 'reconcile'];

/** What NodejsFunction passes to esbuild; bench/lambda.ts builds with the same settings (#7). */
export const BUNDLE = {
  target: 'node22',
  minify: true,
  sourceMap: true,
  keepNames: true,
  // The SDK is bundled at the version we test with, not the runtime's; ws's native add-ons are optional.
  externalModules: ['bufferutil', 'utf-8-validate'],
} as const;

/** The same bundle through esbuild's API, for benchmarks. */
export function esbuildOptions(name: FunctionName, root: string, outfile: string): BuildOptions {
  return {
    entryPoints: [join(root, 'functions', `${name}.ts`)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: BUNDLE.target,
    minify: BUNDLE.minify,
    sourcemap: BUNDLE.sourceMap,
    keepNames: BUNDLE.keepNames,
    external: [...BUNDLE.externalModules],
    logLevel: 'warning',
  };
}

/** The repository root (where functions/ is), found from this file whether bundled or not. */
export function projectRoot(start: string = __dirname): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'functions', 'webhook.ts')) && existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`cannot find the plumbline project root above ${start}`);
  }
}
