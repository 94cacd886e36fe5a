import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../lib/cli/main';
import type { AccessPolicy } from '../../lib/core/access/policies';
import { kubeconfigYaml, type Sandbox, type SandboxStats, startSandbox } from '../../lib/local/sandbox';
import { appDir, cm, ns } from '../helpers/app-dir';
import { runCli } from '../helpers/cli';
import { sandboxRequest } from '../helpers/http';
import { makeKubectl } from '../helpers/kubectl';

const role = (name: string): string =>
  `apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: ${name}\n  namespace: shop\nrules:\n- apiGroups: [""]\n  resources: [pods]\n  verbs: [get]\n`;

const REVIEWS = new Set([
  'authorization.k8s.io/selfsubjectaccessreviews',
  'authorization.k8s.io/selfsubjectrulesreviews',
]);
const WRITE_VERBS = ['create', 'apply', 'patch', 'update', 'delete', 'deletecollection'];

/** POST/PATCH/PUT/DELETE requests, reviews (which write nothing) apart. */
function counts(stats: SandboxStats): { writes: number; reviews: number } {
  let writes = 0;
  let reviews = 0;
  for (const [resource, verbs] of Object.entries(stats.byResource)) {
    const n = WRITE_VERBS.reduce((sum, v) => sum + (verbs[v] ?? 0), 0);
    if (REVIEWS.has(resource)) reviews += n;
    else writes += n;
  }
  return { writes, reviews };
}

/** The sync's preflight against the sandbox authorizing as EKS does (#13). */
describe('sync access preflight', () => {
  let sandbox: Sandbox;
  const kubeconfigs = {} as Record<AccessPolicy, string>;

  beforeAll(async () => {
    sandbox = await startSandbox({
      controllerDelayMs: 10,
      limitedTokens: [
        { token: 'edit-token-123', namespaces: ['shop'], policy: 'edit', user: 'editor' },
        { token: 'view-token-123', namespaces: ['shop'], policy: 'view', user: 'viewer' },
        { token: 'admin-token-123', namespaces: ['shop'], policy: 'admin', user: 'shop-admin' },
        { token: 'cluster-admin-token-123', namespaces: [], policy: 'cluster-admin', user: 'root' },
      ],
    });
    const dir = mkdtempSync(join(tmpdir(), 'plumbline-preflight-'));
    for (const policy of ['view', 'edit', 'admin', 'cluster-admin'] as const) {
      kubeconfigs[policy] = join(dir, policy);
      writeFileSync(kubeconfigs[policy], kubeconfigYaml(sandbox.url, sandbox.caCert, `${policy}-token-123`));
    }
    const created = await sandboxRequest(sandbox, 'POST', '/api/v1/namespaces', {
      body: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } }),
    });
    expect(created.status).toBe(201);
  });
  afterAll(async () => {
    await sandbox.stop();
  });

  const sync = (dir: string, app: string, policy: AccessPolicy, ...flags: string[]) =>
    runCli(['sync', dir, '--app', app, '--namespace', 'shop', '--kubeconfig', kubeconfigs[policy], ...flags]);
  const exists = async (path: string): Promise<boolean> =>
    (await sandboxRequest(sandbox, 'GET', path)).status === 200;

  it('refuses a Role with edit before any write, naming the kind, verb, namespace and config field', async () => {
    const app = appDir({ 'cm.yaml': cm('settings'), 'role.yaml': role('reader') });
    sandbox.resetStats();
    const run = await sync(app.dir, 'rbac', 'edit');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('error: app rbac: refused before any write');
    expect(run.stderr).toContain(
      'cannot create Role (roles.rbac.authorization.k8s.io) in namespace shop: needs clusters[].access: admin',
    );
    expect(run.stderr).toContain(
      'cannot patch Role (roles.rbac.authorization.k8s.io) in namespace shop: needs clusters[].access: admin',
    );
    // EKS's edit cannot even list Roles: the 403 of that read is explained with one review per
    // (resource, verb) the app would need: list, create and patch of roles and of configmaps.
    expect(run.stderr).toContain('cannot list Role (roles.rbac.authorization.k8s.io) in namespace shop');
    expect(run.stderr).not.toContain('ConfigMap');
    expect(counts(sandbox.stats())).toEqual({ writes: 0, reviews: 6 });
    expect(await exists('/api/v1/namespaces/shop/configmaps/settings')).toBe(false);
    expect(await exists('/api/v1/namespaces/shop/configmaps/plumbline-inventory-rbac')).toBe(false);
  });

  it('checks the hooks too: a PostSync hook edit may not create is refused before the ConfigMap is written', async () => {
    const hook = role('after').replace(
      'metadata:\n',
      'metadata:\n  annotations:\n    argocd.argoproj.io/hook: PostSync\n',
    );
    const app = appDir({ 'cm.yaml': cm('settings'), 'hook.yaml': hook });
    sandbox.resetStats();
    const run = await sync(app.dir, 'hooked', 'edit');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'cannot create Role (roles.rbac.authorization.k8s.io) in namespace shop: needs clusters[].access: admin',
    );
    expect(counts(sandbox.stats()).writes).toBe(0);
    expect(await exists('/api/v1/namespaces/shop/configmaps/settings')).toBe(false);
  });

  it('refuses a Namespace with edit, naming clusters[].clusterScoped, and writes nothing', async () => {
    const app = appDir({ 'ns.yaml': ns('shop'), 'cm.yaml': cm('settings') });
    sandbox.resetStats();
    const run = await sync(app.dir, 'nsapp', 'edit', '--allow-cluster-scoped');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'cannot patch Namespace (namespaces) in namespace shop: needs clusters[].clusterScoped: true',
    );
    expect(counts(sandbox.stats()).writes).toBe(0);
  });

  it('applies the Role with admin, and a re-sync that writes nothing asks nothing', async () => {
    const app = appDir({ 'cm.yaml': cm('settings'), 'role.yaml': role('reader') });
    sandbox.resetStats();
    const first = await sync(app.dir, 'rbac', 'admin');
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(await exists('/apis/rbac.authorization.k8s.io/v1/namespaces/shop/roles/reader')).toBe(true);
    expect(counts(sandbox.stats()).reviews).toBe(4);
    sandbox.resetStats();
    const again = await sync(app.dir, 'rbac', 'admin');
    expect(again.code).toBe(0);
    expect(counts(sandbox.stats())).toEqual({ writes: 0, reviews: 0 });
  });

  it('asks delete for a prune, and patch only for a changed object', async () => {
    const app = appDir({ 'a.yaml': cm('keep'), 'b.yaml': cm('gone') });
    expect((await sync(app.dir, 'pruner', 'edit', '--prune')).code).toBe(0);
    app.set({ 'a.yaml': cm('keep').replace('k: v', 'k: changed') });
    sandbox.resetStats();
    expect((await sync(app.dir, 'pruner', 'edit', '--prune')).code).toBe(0);
    expect(sandbox.stats().byResource['authorization.k8s.io/selfsubjectaccessreviews']).toEqual({
      create: 2,
    });
    const view = await sync(app.dir, 'pruner', 'view', '--prune');
    expect(view.code).toBe(0);
    app.set({ 'a.yaml': cm('keep') });
    sandbox.resetStats();
    const refused = await sync(app.dir, 'pruner', 'view', '--prune');
    expect(counts(sandbox.stats())).toEqual({ writes: 0, reviews: 1 });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      'cannot patch ConfigMap (configmaps) in namespace shop: needs clusters[].access: edit',
    );
  });

  it('applies a Namespace with cluster-admin', async () => {
    const app = appDir({ 'ns.yaml': ns('fresh'), 'cm.yaml': cm('settings', 'fresh') });
    const run = await runCli([
      'sync',
      app.dir,
      '--app',
      'fresh',
      '--namespace',
      'fresh',
      '--allow-namespaces',
      'fresh',
      '--allow-cluster-scoped',
      '--kubeconfig',
      kubeconfigs['cluster-admin'],
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(await exists('/api/v1/namespaces/fresh')).toBe(true);
  });
});

describe('plumbline sandbox --access-kubeconfig', () => {
  it('writes a kubeconfig whose identity has the access policy, and refuses flags that do not fit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plumbline-access-cli-'));
    const access = join(dir, 'access');
    let stop: () => void = () => undefined;
    let out = '';
    const running = main(
      [
        'sandbox',
        '--kubeconfig',
        join(dir, 'admin'),
        '--access-kubeconfig',
        access,
        '--access-policy',
        'edit',
        '--access-namespaces',
        'shop',
        '-o',
        'json',
      ],
      {
        out: (t) => {
          out += t;
        },
        err: () => undefined,
        interrupted: new Promise<void>((resolve) => {
          stop = resolve;
        }),
      },
    );
    try {
      while (!out.includes('\n')) await new Promise((r) => setTimeout(r, 20));
      expect(JSON.parse(out)).toMatchObject({ accessKubeconfig: access });
      expect(readFileSync(access, 'utf8')).not.toContain(
        readFileSync(join(dir, 'admin'), 'utf8').match(/token: (\S+)/)?.[1],
      );
      const kubectl = makeKubectl(access);
      expect((await kubectl(['auth', 'can-i', 'create', 'deployments.apps', '-n', 'shop'])).stdout).toBe(
        'yes\n',
      );
      expect(
        (await kubectl(['auth', 'can-i', 'create', 'roles.rbac.authorization.k8s.io', '-n', 'shop'])).stdout,
      ).toBe('no\n');
    } finally {
      stop();
      expect(await running).toBe(0);
    }
    const bad = join(dir, 'bad');
    for (const flags of [
      ['--access-kubeconfig', bad, '--access-policy', 'owner', '--access-namespaces', 'shop'],
      ['--access-kubeconfig', bad, '--access-policy', 'edit'],
      ['--access-kubeconfig', bad, '--access-policy', 'cluster-admin', '--access-namespaces', 'shop'],
      ['--access-policy', 'edit', '--access-namespaces', 'shop'],
    ]) {
      const run = await runCli(['sandbox', '--kubeconfig', join(dir, 'bad-admin'), ...flags]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/^error: --access-[^\n]+\n$/);
    }
    expect(() => readFileSync(bad)).toThrow();
    expect(() => readFileSync(join(dir, 'bad-admin'))).toThrow();
  });
});
