// The CDK app command of cdk.json: bundles infra/app.ts (our code only; packages stay in
// node_modules) with the local esbuild and runs it. Offline, no ts-node, well under a second.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = join(root, 'dist', 'cdk-app.cjs');
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
