import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  esbuildOptions,
  FUNCTION_NAMES,
  LAZY_MODULES,
  lazyModuleFiles,
  projectRoot,
} from '../infra/bundling';

const TARGET_BUNDLE_BYTES = 2 * 1024 * 1024;
const TARGET_INIT_MS = 300;
const RUNS = 7;

/** esbuild from the project's node_modules at run time: its JS API cannot itself be bundled. */
function esbuild(root: string): typeof import('esbuild') {
  return createRequire(join(root, 'package.json'))('esbuild');
}

/** A fresh `node` that requires the bundle, as Lambda's init does; the time is measured inside it. */
function coldInitMs(bundle: string): { requireMs: number; processMs: number } {
  const script = `const t=process.hrtime.bigint();require(${JSON.stringify(bundle)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`;
  const started = process.hrtime.bigint();
  const out = execFileSync(process.execPath, ['-e', script], {
    env: { PATH: process.env.PATH, AWS_REGION: 'eu-west-1', AWS_LAMBDA_FUNCTION_NAME: 'bench' },
    encoding: 'utf8',
  });
  return { requireMs: Number(out), processMs: Number(process.hrtime.bigint() - started) / 1e6 };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number): number => Math.round(x * 10) / 10;

/** `npm run bench -- lambda`: each function's minified bundle size and cold init time (#7). */
export async function benchLambda(): Promise<Record<string, unknown>> {
  const root = projectRoot(__dirname);
  const out = mkdtempSync(join(tmpdir(), 'plumbline-lambda-bench-'));
  try {
    const functions: Record<string, unknown> = {};
    for (const name of FUNCTION_NAMES) {
      const bundle = join(out, name, 'index.js');
      const started = Date.now();
      await esbuild(root).build(esbuildOptions(name, root, bundle));
      const buildMs = Date.now() - started;
      const bytes = statSync(bundle).size;
      // Shipped beside the bundle, loaded only by jobs that need them (infra/bundling.ts).
      const lazyModuleBytes: Record<string, number> = {};
      for (const module of LAZY_MODULES[name] ?? [])
        lazyModuleBytes[module.name] = statSync(lazyModuleFiles(root, module).source).size;
      const runs = Array.from({ length: RUNS }, () => coldInitMs(bundle));
      const requireMs = median(runs.map((r) => r.requireMs));
      functions[name] = {
        bundleBytes: bytes,
        bundleMiB: round(bytes / 1024 / 1024),
        lazyModuleBytes,
        buildMs,
        coldRequireMsMedian: round(requireMs),
        coldProcessMsMedian: round(median(runs.map((r) => r.processMs))),
        withinTargets: bytes <= TARGET_BUNDLE_BYTES && requireMs <= TARGET_INIT_MS,
      };
    }
    return {
      targets: { bundleBytes: TARGET_BUNDLE_BYTES, coldRequireMs: TARGET_INIT_MS },
      runs: RUNS,
      functions,
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
