import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Sandbox, startSandbox } from '../../../lib/local/sandbox';
import { sandboxRequest } from '../../helpers/http';
import { makeKubectl, type RunResult } from '../../helpers/kubectl';

type Kubectl = (args: string[], stdin?: string) => Promise<RunResult>;

const role = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reader, namespace: shop}
rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
`;
const namespace = 'apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n';
const configMap =
  'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: shop}\ndata: {a: "1"}\n';

/** The sandbox authorizing as EKS does for an access entry's access policy (#13), checked with the real kubectl. */
describe('sandbox EKS access policies', () => {
  let sandbox: Sandbox;
  const kubectls: Record<string, Kubectl> = {};

  beforeAll(async () => {
    sandbox = await startSandbox({
      controllerDelayMs: 10,
      limitedTokens: [
        { token: 'view-token-123', namespaces: ['shop'], policy: 'view', user: 'viewer' },
        { token: 'edit-token-123', namespaces: ['shop'], policy: 'edit', user: 'editor' },
        { token: 'admin-token-123', namespaces: ['shop'], policy: 'admin', user: 'shop-admin' },
        { token: 'cadmin-token-123', namespaces: [], policy: 'cluster-admin', user: 'root' },
      ],
    });
    const dir = mkdtempSync(join(tmpdir(), 'plumbline-access-'));
    for (const name of ['view', 'edit', 'admin', 'cadmin']) {
      const path = join(dir, `${name}.kubeconfig`);
      writeFileSync(path, sandbox.kubeconfig.replace(sandbox.token, `${name}-token-123`));
      kubectls[name] = makeKubectl(path);
    }
    const admin = makeKubectl(sandbox.kubeconfigPath);
    expect((await admin(['apply', '--server-side', '-f', '-'], namespace)).code).toBe(0);
  });
  afterAll(async () => {
    await sandbox.stop();
  });

  const canI = async (who: string, ...args: string[]): Promise<string> =>
    (await kubectls[who]!(['auth', 'can-i', ...args])).stdout.trim();

  it('answers kubectl auth can-i with each policy’s rules, in its namespaces only', async () => {
    expect(await canI('view', 'list', 'pods', '-n', 'shop')).toBe('yes');
    expect(await canI('view', 'get', 'secrets', '-n', 'shop')).toBe('no');
    expect(await canI('view', 'create', 'configmaps', '-n', 'shop')).toBe('no');
    expect(await canI('edit', 'create', 'deployments.apps', '-n', 'shop')).toBe('yes');
    expect(await canI('edit', 'get', 'secrets', '-n', 'shop')).toBe('yes');
    expect(await canI('edit', 'create', 'roles.rbac.authorization.k8s.io', '-n', 'shop')).toBe('no');
    expect(await canI('edit', 'create', 'configmaps', '-n', 'default')).toBe('no');
    expect(await canI('admin', 'create', 'roles.rbac.authorization.k8s.io', '-n', 'shop')).toBe('yes');
    expect(await canI('admin', 'patch', 'namespaces/shop')).toBe('no');
    expect(await canI('admin', 'create', 'clusterroles')).toBe('no');
    expect(await canI('cadmin', 'create', 'namespaces')).toBe('yes');
    expect(await canI('cadmin', 'delete', 'customresourcedefinitions')).toBe('yes');
  });

  it('lists the rules of a namespace with kubectl auth can-i --list (SelfSubjectRulesReview)', async () => {
    const edit = await canI('edit', '--list', '-n', 'shop');
    expect(edit).toMatch(
      /^deployments\.apps\s+\[\]\s+\[\]\s+\[get list watch create delete deletecollection patch update\]$/m,
    );
    expect(edit).not.toMatch(/^roles\.rbac/m);
    const admin = await canI('admin', '--list', '-n', 'shop');
    expect(admin).toMatch(/^roles\.rbac\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[get list watch create/m);
    expect(await canI('edit', '--list', '-n', 'default')).not.toMatch(/^deployments/m);
  });

  it('gives kubectl apply the API server’s Forbidden where EKS would refuse, and writes nothing', async () => {
    sandbox.resetStats();
    const denied = await kubectls.edit!(['apply', '--server-side', '-f', '-'], role);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain(
      'roles.rbac.authorization.k8s.io "reader" is forbidden: User "editor" cannot patch resource "roles" in API group "rbac.authorization.k8s.io" in the namespace "shop"',
    );
    const ns = await kubectls.admin!(['apply', '--server-side', '-f', '-'], namespace);
    expect(ns.stderr).toContain(
      'namespaces "shop" is forbidden: User "shop-admin" cannot patch resource "namespaces" in API group "" in the namespace "shop"',
    );
    const outside = await kubectls.edit!(['get', 'configmaps', '-n', 'default']);
    expect(outside.stderr).toContain(
      'configmaps is forbidden: User "editor" cannot list resource "configmaps" in API group "" in the namespace "default"',
    );
    expect((await kubectls.edit!(['get', 'namespaces'])).stderr).toContain('at the cluster scope');
    expect(sandbox.core.registry.lookup('rbac.authorization.k8s.io', 'v1', 'roles')).toBeDefined();
    const roles = sandbox.core.registry.lookup('rbac.authorization.k8s.io', 'v1', 'roles')!;
    expect(sandbox.core.get(roles, 'shop', 'reader')).toBeUndefined();
  });

  it('applies what the policy allows: a ConfigMap with edit, a Role with admin, a Namespace with cluster-admin', async () => {
    expect((await kubectls.edit!(['apply', '--server-side', '-f', '-'], configMap)).code).toBe(0);
    const applied = await kubectls.admin!(['apply', '--server-side', '-f', '-'], role);
    expect(applied.stdout).toContain('role.rbac.authorization.k8s.io/reader serverside-applied');
    const created = await kubectls.cadmin!(['create', 'namespace', 'other']);
    expect(created.stdout).toBe('namespace/other created\n');
  });

  it('answers a SelfSubjectAccessReview with 201 and refuses one without attributes (422)', async () => {
    const patchOnly = await sandboxRequest(
      sandbox,
      'POST',
      '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      {
        token: 'view-token-123',
        body: JSON.stringify({
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SelfSubjectAccessReview',
          spec: { resourceAttributes: { verb: 'patch', resource: 'configmaps', namespace: 'shop' } },
        }),
      },
    );
    expect(patchOnly.status).toBe(201);
    expect(patchOnly.json()).toMatchObject({ kind: 'SelfSubjectAccessReview', status: { allowed: false } });
    const bad = await sandboxRequest(
      sandbox,
      'POST',
      '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      {
        token: 'view-token-123',
        body: JSON.stringify({ spec: {} }),
      },
    );
    expect(bad.status).toBe(422);
    const stats = sandbox.stats();
    expect(stats.byResource['authorization.k8s.io/selfsubjectaccessreviews']?.create).toBeGreaterThan(0);
  });

  it('keeps the sandbox endpoints for the admin token', async () => {
    const res = await sandboxRequest(sandbox, 'GET', '/sandbox/v1/stats', { token: 'cadmin-token-123' });
    expect(res.status).toBe(403);
  });
});
