import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  allowedSigners,
  commitFiles,
  type GitFixture,
  type GpgKey,
  makeGpgKey,
  makeSshKey,
  makeWorkRepo,
  push,
  type SshKey,
  startGitFixture,
  tempDir,
} from '../helpers/git';
import { buildShippedCli, runNode } from '../helpers/shipped';

const FILES = {
  'plumbline.yaml':
    'version: 1\napps:\n  - name: web\n    path: apps/web\n    cluster: local\n    namespace: web\n',
  'apps/web/config.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\ndata:\n  a: "1"\n',
};

/**
 * The CLI as built by scripts/build.mjs and started by bin/plumbline.cjs, not the TypeScript
 * sources: `render --repo` from the local git server with --verify-signatures (#13). The bundle once
 * crashed on OpenPGP, which a test of the sources cannot see.
 */
describe('shipped CLI (bin/plumbline.cjs + dist/)', () => {
  let bin: string;
  let git: GitFixture;
  let gpg: GpgKey;
  let otherGpg: GpgKey;
  let ssh: SshKey;
  let otherSsh: SshKey;
  const urls: Record<string, string> = {};
  const files: Record<string, string> = {};

  beforeAll(async () => {
    [bin, git, gpg, otherGpg, ssh, otherSsh] = await Promise.all([
      buildShippedCli(),
      startGitFixture(),
      makeGpgKey(),
      makeGpgKey('Mallory <mallory@example.com>'),
      makeSshKey('ed25519'),
      makeSshKey('ed25519'),
    ]);
    const signers = { plain: undefined, openpgp: gpg, ssh, wrong: otherGpg, 'wrong-ssh': otherSsh };
    for (const [name, signer] of Object.entries(signers)) {
      urls[name] = await git.bare(name);
      const work = await makeWorkRepo(urls[name]!);
      await commitFiles(work, FILES, name, signer);
      await push(work);
    }
    const dir = tempDir('shipped-keys');
    files.openpgp = join(dir, 'KEYS.asc');
    writeFileSync(files.openpgp, gpg.publicKey);
    files.ssh = join(dir, 'allowed_signers');
    writeFileSync(files.ssh, allowedSigners([{ principal: 'dev@example.com', key: ssh, namespaces: 'git' }]));
  }, 180_000);
  afterAll(async () => {
    await git?.stop();
    await gpg?.stop();
    await otherGpg?.stop();
  });

  const render = (repo: string, ...extra: string[]) =>
    runNode(
      process.execPath,
      [bin, 'render', '--repo', urls[repo]!, '--ref', 'main', '--app', 'web', ...extra],
      {
        env: { ...process.env, PLUMBLINE_CACHE_DIR: tempDir('shipped-cache') },
      },
    );

  it('renders an app from a plain repository', async () => {
    const run = await render('plain');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('name: web-config');
  });

  it('renders a commit signed with OpenPGP, verified against KEYS.asc', async () => {
    const run = await render('openpgp', '--verify-signatures', `openpgp:${files.openpgp}`);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('name: web-config');
  });

  it('renders a commit signed with SSH, verified against allowed_signers', async () => {
    const run = await render('ssh', '--verify-signatures', `ssh:${files.ssh}`);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('name: web-config');
  });

  it.each([
    ['wrong', 'openpgp'],
    ['wrong-ssh', 'ssh'],
  ] as const)(
    'refuses the %s repository, signed by a key %s trust does not hold, and renders nothing',
    async (repo, kind) => {
      const run = await render(repo, '--verify-signatures', `${kind}:${files[kind]}`);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^error: .*[0-9a-f]{7}/);
      expect(run.stderr).not.toMatch(/filename|import\.meta|Received undefined/);
      expect(run.stdout).toBe('');
    },
  );

  // The command's --help is read at the moment of the error: a lazily loaded command in the bundle.
  it('suggests the flag meant for an unknown one, and says what a plain directory skipped', async () => {
    const typo = await runNode(process.execPath, [bin, 'render', '--repo', urls.plain!, '--ap', 'web']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toBe(
      "error: unknown flag --ap for 'render'; did you mean --app? run 'plumbline render --help' for its flags\n",
    );
    const dir = tempDir('shipped-flux');
    writeFileSync(
      join(dir, 'kustomization.yaml'),
      'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n',
    );
    writeFileSync(join(dir, 'cm.yaml'), FILES['apps/web/config.yaml']);
    const run = await runNode(process.execPath, [
      bin,
      'render',
      dir,
      '--app',
      'flux',
      '--renderer',
      'plain',
      '--repo-root',
      dir,
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('name: web-config');
    expect(run.stderr).toMatch(
      /^note: kustomization\.yaml \(document 1\): skipped kustomize\.config\.k8s\.io\/v1beta1 Kustomization/,
    );
  });
});
