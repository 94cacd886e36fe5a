import { cp, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Sandbox, startSandbox } from '../../lib/local/sandbox';
import { type TempRepo, tempRepo } from '../adapters/render-helpers';
import { runCli } from '../helpers/cli';
import { fixturePath } from '../helpers/fixtures';

/**
 * Hostile kustomize and helm apps through the CLI's sync, diff and drift: a one-line error,
 * exit 2, and not one request reaches the cluster (issue #4).
 */
describe('plumbline sync refusals for kustomize and helm apps', () => {
  let sandbox: Sandbox;
  let t: TempRepo;
  beforeAll(async () => {
    sandbox = await startSandbox();
  });
  afterAll(async () => {
    await sandbox.stop();
  });
  beforeEach(async () => {
    t = await tempRepo();
    await mkdir(join(t.repo, '.git'));
    await t.write('repo/base/kustomization.yaml', 'resources: [cm.yaml]\n');
    await t.write('repo/base/cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: base\n');
    await cp(fixturePath('render', 'helm', 'charts', 'demo'), join(t.repo, 'chart'), { recursive: true });
  });
  afterEach(() => t.remove());

  const refused = async (app: string, pattern: RegExp, flags: string[] = [], command = 'sync') => {
    sandbox.resetStats();
    const run = await runCli([
      command,
      join(t.repo, app),
      '--app',
      'shop',
      '--kubeconfig',
      sandbox.kubeconfigPath,
      ...flags,
    ]);
    expect(run.stderr).toMatch(/^error: [^\n]+\n$/);
    expect(run.stderr).toMatch(pattern);
    expect(run.code).toBe(2);
    expect(sandbox.stats().total).toBe(0);
  };
  const kustomization = (yaml: string) => t.write('repo/app/kustomization.yaml', yaml);

  it('syncs a good kustomize app, so the refusals below are not the setup failing', async () => {
    await kustomization('resources: [../base]\nnamePrefix: app-\n');
    const run = await runCli([
      'sync',
      join(t.repo, 'app'),
      '--app',
      'shop',
      '--kubeconfig',
      sandbox.kubeconfigPath,
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  });

  it('syncs a good chart, CRD first and its custom resource after', async () => {
    const run = await runCli([
      'sync',
      join(t.repo, 'chart'),
      '--app',
      'shop',
      '--kubeconfig',
      sandbox.kubeconfigPath,
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/4 created/);
  });

  it('refuses a remote base', async () => {
    await kustomization(
      'resources:\n- https://github.com/kubernetes-sigs/kustomize//examples/helloWorld?ref=v1.0.6\n',
    );
    await refused('app', /app\/kustomization\.yaml: resources ".*" is a remote reference/);
    await refused('app', /is a remote reference/, [], 'diff');
    await refused('app', /is a remote reference/, [], 'drift');
  });

  it.each([
    ['resources', 'resources: [../../outside]'],
    ['bases', 'bases: [../base/../../outside]'],
    ['components', 'components: [../../outside]'],
  ])('refuses ../ out of the repository in %s', async (field, yaml) => {
    await kustomization(`${yaml}\n`);
    await refused('app', new RegExp(`app/kustomization\\.yaml: ${field} ".*" leaves the repository`));
  });

  it('refuses ../ out of the repository in --values', async () => {
    await refused('chart', /helm\.valueFiles\[0\] "\.\.\/outside\/secret\.yaml" leaves the repository/, [
      '--values',
      join(t.outside, 'secret.yaml'),
    ]);
  });

  it('refuses an absolute symbolic link', async () => {
    await kustomization('resources: [../base]\n');
    await t.link('/etc/passwd', 'repo/app/passwd.yaml');
    await refused('app', /app\/passwd\.yaml is a symbolic link that resolves outside the repository/);
  });

  it('refuses a relative symbolic link chain escaping the repository', async () => {
    await kustomization('resources: [hop]\n');
    await t.link('../link', 'repo/app/hop');
    await t.link('../outside', 'repo/link');
    await refused('app', /resources "hop" resolves outside the repository through a symbolic link/);
  });

  it('refuses a chart template symlinked outside the repository', async () => {
    await t.link(join(t.outside, 'secret.yaml'), 'repo/chart/templates/secret.yaml');
    await refused(
      'chart',
      /chart\/templates\/secret\.yaml is a symbolic link that resolves outside the repository/,
    );
  });

  it('refuses helm inflation and KRM functions in a kustomization', async () => {
    await kustomization('helmCharts:\n- name: redis\n  repo: https://charts.example.com\n');
    await refused('app', /helmCharts: helm inflation is not allowed/);
    await kustomization(
      'generators:\n- |-\n  apiVersion: v1\n  kind: X\n  metadata:\n    name: x\n    annotations:\n      config.kubernetes.io/function: "exec: {path: /bin/sh}"\n',
    );
    await refused('app', /KRM functions/);
  });

  it.each([
    ['--release=--enable-helm', /helm\.releaseName "--enable-helm" starts with '-'/],
    ['--values=--post-renderer=/bin/sh', /helm\.valueFiles\[0\] "--post-renderer=\/bin\/sh" starts with '-'/],
    ['--kube-version=--helm-command=x', /helm\.kubeVersion "--helm-command=x" starts with '-'/],
  ])('refuses flag smuggling: %s', async (flag, pattern) => {
    await refused('chart', pattern, [flag]);
  });
});
