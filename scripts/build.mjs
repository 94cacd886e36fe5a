// Bundles the CLI into dist/plumbline.cjs with esbuild: one CommonJS file that runs on
// Node 20 and 22 whatever the module format of its dependencies (docs/adr/0001).
import { build } from 'esbuild';

await build({
  entryPoints: ['lib/cli/main.ts'],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  outfile: 'dist/plumbline.cjs',
  sourcemap: true,
  logLevel: 'warning',
  // Optional native accelerators of ws; it falls back to JavaScript without them.
  external: ['bufferutil', 'utf-8-validate'],
});
