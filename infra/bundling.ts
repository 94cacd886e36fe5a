import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { BuildOptions } from 'esbuild';

export type FunctionName = 'webhook' | 'sync' | 'reconcile';
export const FUNCTION_NAMES: readonly FunctionName[] = ['webhook', 'sync', 'reconcile'];

const IMPORT_META_URL = '__plumbline_import_meta_url';

/** What NodejsFunction passes to esbuild; bench/lambda.ts builds with the same settings (#7). */
export const BUNDLE = {
  target: 'node22',
  minify: true,
  sourceMap: true,
  keepNames: true,
  // The SDK is bundled at the version we test with, not the runtime's; ws's native add-ons are optional.
  externalModules: ['bufferutil', 'utf-8-validate'],
  // An ESM dependency bundled into CJS (openpgp.js calls createRequire(import.meta.url)) finds
  // import.meta.url undefined: it becomes the bundle's own file URL, as scripts/build.mjs does for the CLI.
  define: { 'import.meta.url': IMPORT_META_URL },
  banner: `var ${IMPORT_META_URL}=require('node:url').pathToFileURL(__filename).href;`,
} as const;

/**
 * Modules left out of a function's bundle and shipped beside it as one prebuilt file, in
 * `node_modules/<name>/` of the asset: openpgp.js (400 KB minified) is loaded only by a job whose
 * repository has OpenPGP keys, so a cold start neither reads nor parses it.
 */
export const LAZY_MODULES: Readonly<Partial<Record<FunctionName, readonly LazyModule[]>>> = {
  sync: [{ name: 'openpgp', file: 'dist/node/openpgp.min.mjs' }],
};

export interface LazyModule {
  readonly name: string;
  /** The package's self-contained ES module build, relative to the package. */
  readonly file: string;
}

/** Where a lazy module goes in the asset: a package whose only export is the prebuilt file. */
export function lazyModuleFiles(
  root: string,
  module: LazyModule,
): { source: string; target: string; packageJson: string } {
  return {
    source: join(root, 'node_modules', module.name, module.file),
    target: join('node_modules', module.name, 'index.mjs'),
    packageJson: JSON.stringify({ name: module.name, type: 'module', exports: { '.': './index.mjs' } }),
  };
}

/** Shell commands that put the lazy modules of a function into its asset (NodejsFunction afterBundling). */
export function lazyModuleCommands(name: FunctionName, root: string, outputDir: string): string[] {
  return (LAZY_MODULES[name] ?? []).flatMap((module) => {
    const { source, target, packageJson } = lazyModuleFiles(root, module);
    const dir = join(outputDir, 'node_modules', module.name);
    return [
      `mkdir -p "${dir}"`,
      `cp "${source}" "${join(outputDir, target)}"`,
      `printf '%s' '${packageJson}' > "${join(dir, 'package.json')}"`,
    ];
  });
}

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
    define: BUNDLE.define,
    banner: { js: BUNDLE.banner },
    external: [...BUNDLE.externalModules, ...(LAZY_MODULES[name] ?? []).map((m) => m.name)],
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
