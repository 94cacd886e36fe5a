// The CDK app command of cdk.json: bundles infra/app.ts (our code only; packages stay in
// node_modules) with the local esbuild and runs it. Offline, no ts-node, well under a second.
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// One file per process: synths that run at once (test files in parallel) must not read each other's half-written bundle.
const outfile = join(root, 'dist', `cdk-app.${process.pid}.cjs`);
process.on('exit', () => rmSync(outfile, { force: true }));
await build({
  entryPoints: [join(root, 'infra', 'app.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  packages: 'external',
  sourcemap: 'inline',
  logLevel: 'warning',
});
createRequire(import.meta.url)(outfile);
