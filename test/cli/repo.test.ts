import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Sandbox, startSandbox } from '../../lib/local/sandbox';
import { runCli } from '../helpers/cli';
import { fixturePath } from '../helpers/fixtures';
import {
  allowedSigners,
  commitFiles,
  type GitFixture,
  makeSshKey,
  makeWorkRepo,
  push,
  startGitFixture,
  tempDir,
  type WorkRepo,
} from '../helpers/git';

const PLUMBLINE_YAML =
  'version: 1\napps:\n  - name: shop\n    path: apps/shop\n    cluster: local\n    namespace: shop-ns\n';

/** `plumbline … --repo URL --app NAME` against a real git server, with and without signature checks (#5). */
describe('plumbline --repo', () => {
  let sandbox: Sandbox;
  let gitFixture: GitFixture;
  let url: string;
  let work: WorkRepo;
  let signersFile: string;
  let sshKey: Awaited<ReturnType<typeof makeSshKey>>;

  beforeAll(async () => {
    process.env.PLUMBLINE_CACHE_DIR = tempDir('cli-cache');
    sandbox = await startSandbox({ controllerDelayMs: 10 });
    const namespaces = sandbox.core.registry.lookup('', 'v1', 'namespaces')!;
    sandbox.core.persist(
      namespaces,
      undefined,
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop-ns' } },
      { dryRun: false },
    );
    gitFixture = await startGitFixture();
    url = await gitFixture.bare('config');
    work = await makeWorkRepo(url);
    const files: Record<string, string> = { 'plumbline.yaml': PLUMBLINE_YAML };
    for (const f of ['config.yaml', 'deployment.yaml', 'service.json'])
      files[`apps/shop/${f}`] = readFileSync(fixturePath('apps', 'shop', f), 'utf8');
    await commitFiles(work, files, 'unsigned');
    await push(work);
    const key = await makeSshKey('ed25519');
    signersFile = join(tempDir('signers'), 'allowed_signers');
    writeFileSync(signersFile, allowedSigners([{ principal: 'dev@example.com', key, namespaces: 'git' }]));
    sshKey = key;
  });
  afterAll(async () => {
    await gitFixture.stop();
    await sandbox.stop();
  });

  const k = () => ['--kubeconfig', sandbox.kubeconfigPath];

  it('renders and syncs an app found in plumbline.yaml, into its namespace, with the commit as the revision', async () => {
    expect((await runCli(['render', '--repo', url, '--app', 'shop'])).code).toBe(0);
    const created = await runCli(['sync', '--repo', url, '--app', 'shop', ...k(), '-o', 'json']);
    expect(created.stderr).toBe('');
    const json = JSON.parse(created.stdout) as { revision: string; counts: { created: number } };
    expect(json.counts.created).toBe(4);
    expect(json.revision).toMatch(/^[0-9a-f]{40}$/);
    expect(
      sandbox.core.get(sandbox.core.registry.lookup('', 'v1', 'configmaps')!, 'shop-ns', 'shop-config'),
    ).toBeDefined();
  });

  it('refuses an unsigned commit before rendering when signatures are required', async () => {
    sandbox.resetStats();
    const run = await runCli([
      'sync',
      '--repo',
      url,
      '--app',
      'shop',
      ...k(),
      '--verify-signatures',
      `ssh:${signersFile}`,
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: .*[0-9a-f]{7,}.*(unsigned|not signed)/i);
    expect(sandbox.stats().total).toBe(0);
  });

  it('accepts a commit signed by an allowed SSH key and names the signer', async () => {
    await commitFiles(
      work,
      { 'apps/shop/extra.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n' },
      'signed',
      sshKey,
    );
    await push(work);
    const run = await runCli([
      'sync',
      '--repo',
      url,
      '--app',
      'shop',
      ...k(),
      '--verify-signatures',
      `ssh:${signersFile}`,
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/signed by SHA256:/);
    expect(run.stdout).toContain('1 created');
  });

  it('needs --app with --repo, and refuses PATH together with --repo', async () => {
    expect(await runCli(['render', '--repo', url])).toMatchObject({ code: 2 });
    expect(
      (await runCli(['render', fixturePath('apps', 'shop'), '--repo', url, '--app', 'shop'])).stderr,
    ).toBe('error: give either PATH or --repo URL, not both\n');
  });
});
