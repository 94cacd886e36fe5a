// Bundles the CLI into dist/plumbline.cjs, and the benchmarks into dist/bench.cjs, with esbuild:
// CommonJS files that run on Node 20 and 22 whatever the module format of their dependencies
// (docs/adr/0001). The benchmarks stay out of the CLI so that it starts fast.
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  minifySyntax: true,
  minifyWhitespace: true,
  minifyIdentifiers: true,
  keepNames: true,
  // Optional native accelerators of ws; it falls back to JavaScript without them.
  external: ['bufferutil', 'utf-8-validate'],
};

await Promise.all([
  build({ ...common, entryPoints: ['lib/cli/main.ts'], outfile: 'dist/plumbline.cjs' }),
  build({ ...common, entryPoints: ['bench/main.ts'], outfile: 'dist/bench.cjs' }),
]);
