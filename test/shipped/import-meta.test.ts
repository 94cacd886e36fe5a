import { join } from 'node:path';
import { build } from 'esbuild';
import { esbuildOptions } from '../../infra/bundling';
import { tempDir } from '../helpers/git';
import { ROOT, runNode } from '../helpers/shipped';

/**
 * openpgp.js's ES module build calls createRequire(import.meta.url) as it loads; bundled into CJS
 * with the Lambda settings, import.meta.url must be the bundle's own file URL (#13). The sync
 * function loads openpgp from its own .mjs beside the bundle, so this guards any function, or any
 * other ES module, that gets bundled in.
 */
describe('Lambda bundle settings (infra/bundling.ts)', () => {
  it('bundles openpgp.js into a CJS file that loads and runs', async () => {
    const outfile = join(tempDir('import-meta'), 'index.js');
    const { entryPoints: _entry, external, ...options } = esbuildOptions('webhook', ROOT, outfile);
    await build({
      ...options,
      external: (external ?? []).filter((name) => name !== 'openpgp'),
      stdin: {
        contents:
          "import { enums } from 'openpgp';\nexport const handler = async () => ({ armor: enums.armor.publicKey });\n",
        resolveDir: ROOT,
        loader: 'ts',
        sourcefile: 'entry.ts',
      },
      logLevel: 'silent',
    });
    const run = await runNode(process.execPath, [
      '-e',
      `require(${JSON.stringify(outfile)}).handler().then((r) => process.stdout.write(JSON.stringify(r)))`,
    ]);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('{"armor":4}');
  }, 60_000);
});
