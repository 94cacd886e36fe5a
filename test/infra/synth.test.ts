import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './stack';

const run = promisify(execFile);

/** No credentials, no profile, no metadata service, and a proxy that refuses: synth must not need AWS or the network. */
function offlineEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('AWS_') && !k.startsWith('CDK_')) env[k] = v;
  return {
    ...env,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    HTTPS_PROXY: 'http://127.0.0.1:9',
    HTTP_PROXY: 'http://127.0.0.1:9',
    ...extra,
  };
}

describe('cdk synth', () => {
  const out = mkdtempSync(join(tmpdir(), 'plumbline-synth-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('synthesizes the example config with real bundles, offline and without credentials', async () => {
    await run(join(ROOT, 'node_modules', '.bin', 'cdk'), ['synth', '--quiet', '--output', out], {
      cwd: ROOT,
      env: offlineEnv(),
      timeout: 180_000,
    });
    const template = JSON.parse(readFileSync(join(out, 'Plumbline.template.json'), 'utf8'));
    const functions = Object.values(template.Resources as Record<string, { Type: string }>).filter(
      (r) => r.Type === 'AWS::Lambda::Function',
    );
    expect(functions).toHaveLength(3);
    const bundles = readdirSync(out).filter(
      (d) => d.startsWith('asset.') && statSync(join(out, d)).isDirectory(),
    );
    const withIndex = bundles.filter((d) => readdirSync(join(out, d)).includes('index.js'));
    expect(withIndex).toHaveLength(3);
    for (const dir of withIndex) expect(readdirSync(join(out, dir))).toContain('index.js.map');
  }, 180_000);

  it('refuses a bad config with one error line per mistake and exit code 2', async () => {
    const bad = join(out, 'bad.json');
    writeFileSync(bad, JSON.stringify({ repositories: [], clusters: [{ name: 'x' }] }));
    const failed = await run('node', [join(ROOT, 'scripts', 'cdk-app.mjs')], {
      cwd: ROOT,
      env: offlineEnv({ PLUMBLINE_CONFIG: bad, CDK_OUTDIR: out }),
    }).then(
      () => undefined,
      (err: { code?: number; stderr?: string }) => err,
    );
    expect(failed?.code).toBe(2);
    const lines = (failed?.stderr ?? '').trim().split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^error: .*bad\.json: repositories: must list at least one repository$/),
        expect.stringMatching(/^error: .*bad\.json: clusters\[0\]\.region: /),
        expect.stringMatching(/^error: .*bad\.json: clusters\[0\]\.allowedNamespaces: /),
      ]),
    );
  });
});
