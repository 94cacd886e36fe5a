// Bundles the CLI into dist/plumbline.cjs, and the benchmarks into dist/bench.cjs, with esbuild:
// CommonJS files that run on Node 20 and 22 whatever the module format of their dependencies
// (docs/adr/0001). The benchmarks stay out of the CLI so that it starts fast.
import { join } from 'node:path';
import { build } from 'esbuild';

const IMPORT_META_URL = '__plumbline_import_meta_url';

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
  // ESM dependencies (openpgp.js) call createRequire(import.meta.url), which a CJS bundle leaves
  // undefined: give it the bundle's own file URL (infra/bundling.ts does the same for the Lambdas).
  define: { 'import.meta.url': IMPORT_META_URL },
  banner: { js: `var ${IMPORT_META_URL}=require('node:url').pathToFileURL(__filename).href;` },
};

// `node scripts/build.mjs [OUTDIR]`: OUTDIR (default dist) lets the shipped-artifact tests build a
// copy without touching the dist/ other tests run.
const outdir = process.argv[2] ?? 'dist';

await Promise.all([
  build({ ...common, entryPoints: ['lib/cli/main.ts'], outfile: join(outdir, 'plumbline.cjs') }),
  build({ ...common, entryPoints: ['bench/main.ts'], outfile: join(outdir, 'bench.cjs') }),
]);
