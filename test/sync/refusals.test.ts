import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Sandbox, startSandbox } from '../../lib/local/sandbox';
import { copyApp } from '../helpers/app-dir';
import { runCli } from '../helpers/cli';

/** Bad input gets a one-line error, exit 2, and not one request reaches the cluster (#3). */
describe('plumbline sync refusals', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox();
  });
  afterAll(async () => {
    await sandbox.stop();
  });

  const refused = async (
    setup: (app: ReturnType<typeof copyApp>) => void,
    pattern: RegExp,
    ...flags: string[]
  ): Promise<void> => {
    const app = copyApp('shop');
    setup(app);
    sandbox.resetStats();
    const run = await runCli([
      'sync',
      app.dir,
      '--app',
      'shop',
      '--kubeconfig',
      sandbox.kubeconfigPath,
      ...flags,
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error: [^\n]+\n$/);
    expect(run.stderr).toMatch(pattern);
    expect(sandbox.stats().total).toBe(0);
  };

  it('refuses malformed YAML', () =>
    refused((a) => a.write('bad.yaml', 'kind: ConfigMap\n  metadata: [\n'), /bad\.yaml/));
  it('refuses a YAML alias bomb', () =>
    refused((a) => {
      const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
      for (let i = 0; i < 12; i++)
        lines.push(
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`,
        );
      a.write('bomb.yaml', `${lines.join('\n')}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\n`);
    }, /bomb\.yaml/));
  it('refuses a document without metadata.name', () =>
    refused(
      (a) => a.write('noname.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n'),
      /noname\.yaml \(document 1\).*name/,
    ));
  it('refuses a non-object document', () =>
    refused((a) => a.write('list.yaml', '- just\n- a list\n'), /list\.yaml \(document 1\)/));
  it('refuses an invalid name', () =>
    refused(
      (a) => a.write('upper.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Not_Valid\n'),
      /upper\.yaml.*Not_Valid/,
    ));
  it('refuses duplicate objects across files', () =>
    refused(
      (a) => a.write('dup.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shop-config\n'),
      /shop-config/,
    ));
  it('refuses a symlink leaving the repository', () =>
    refused((a) => symlinkSync('/etc/passwd', join(a.dir, 'passwd.yaml')), /passwd\.yaml/));
  it('refuses an app path that climbs out of the repository root', () => {
    const app = copyApp('shop');
    const nested = join(app.root, 'repo');
    mkdirSync(nested);
    writeFileSync(join(nested, '.git'), '');
    return (async () => {
      sandbox.resetStats();
      const run = await runCli([
        'sync',
        join(nested, '..', 'shop'),
        '--repo-root',
        nested,
        '--app',
        'shop',
        '--kubeconfig',
        sandbox.kubeconfigPath,
      ]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/^error: [^\n]+\n$/);
      expect(sandbox.stats().total).toBe(0);
    })();
  });
  it('refuses a namespace outside the allow-list', () =>
    refused(() => undefined, /namespace "default".*not allowed/, '--allow-namespaces', 'team-a'));
  it('refuses a cluster-scoped kind unless allowed', () =>
    refused(
      (a) =>
        a.write(
          'role.yaml',
          'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: shop-reader\nrules: []\n',
        ),
      /cluster-scoped ClusterRole.*not allowed/,
      '--allow-namespaces',
      'default',
    ));
  it('refuses an invalid sync-wave annotation', () =>
    refused(
      (a) =>
        a.write(
          'wave.yaml',
          'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: wave\n  annotations:\n    plumbline.dev/sync-wave: soon\n',
        ),
      /sync-wave/,
    ));
});
