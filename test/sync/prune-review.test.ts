import { type Sandbox, startSandbox } from '../../lib/local/sandbox';
import { appDir, cm, ns, type SyncJson } from '../helpers/app-dir';
import { runCli } from '../helpers/cli';
import { sandboxRequest } from '../helpers/http';

/** Hostile review of #14: ways around prune safety and ownership, against the sandbox in-process CLI. */
describe('prune safety under attack (plumbline sync and prune-app against the sandbox)', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ controllerDelayMs: 10 });
  });
  afterAll(async () => {
    await sandbox.stop();
  });

  const run = async (args: string[]): Promise<{ code: number; json: SyncJson; stderr: string }> => {
    const r = await runCli([...args, '--kubeconfig', sandbox.kubeconfigPath, '-o', 'json']);
    return {
      code: r.code,
      json: r.stdout ? (JSON.parse(r.stdout) as SyncJson) : ({ changes: [], counts: {} } as SyncJson),
      stderr: r.stderr,
    };
  };
  const sync = (dir: string, app: string, ...extra: string[]) => run(['sync', dir, '--app', app, ...extra]);
  const exists = async (path: string): Promise<boolean> =>
    (await sandboxRequest(sandbox, 'GET', path)).status === 200;
  const post = async <T>(path: string, body: unknown): Promise<T> => {
    const r = await sandboxRequest(sandbox, 'POST', path, { body: JSON.stringify(body) });
    expect(r.status).toBe(201);
    return r.json<T>();
  };
  const change = (json: SyncJson, subject: string) => json.changes.find((c) => c.subject === subject);

  it('refuses prune-app of an invalid app name, exit 2, before any request', async () => {
    sandbox.resetStats();
    const r = await run(['prune-app', '--app', 'Not_An,App']);
    expect(r.stderr).toMatch(/^error: invalid app name "Not_An,App"/);
    expect(r.code).toBe(2);
    expect(sandbox.stats().total).toBe(0);
  });

  it('keeps a pending id outside the allow-list in the inventory, unresolved, as it keeps every id there', async () => {
    await post('/api/v1/namespaces', { metadata: { name: 'narrowed-ns' } });
    await post('/api/v1/namespaces/narrowed-ns/configmaps', {
      metadata: { name: 'c-x', labels: { 'plumbline.dev/app': 'crashed' } },
      data: { k: 'v' },
    });
    // A run that crashed after creating c-x left it pending; since then the allow-list no longer holds its namespace.
    const since = new Date(Date.now() - 20 * 60_000).toISOString();
    await post('/api/v1/namespaces/default/configmaps', {
      metadata: { name: 'plumbline-inventory-crashed' },
      data: {
        version: '3',
        objects: `/ConfigMap/default/c-a created\n/ConfigMap/narrowed-ns/c-x pending ${since}`,
      },
    });
    const app = appDir({ 'a.yaml': cm('c-a'), 'b.yaml': cm('c-b') });
    const r = await sync(app.dir, 'crashed', '--prune', '--allow-namespaces', 'default');
    expect(r.code).toBe(0);
    const stored = await sandboxRequest(
      sandbox,
      'GET',
      '/api/v1/namespaces/default/configmaps/plumbline-inventory-crashed',
    );
    expect(stored.json<{ data: { objects: string } }>().data.objects.split('\n')).toContain(
      `/ConfigMap/narrowed-ns/c-x pending ${since}`,
    );
    expect(await exists('/api/v1/namespaces/narrowed-ns/configmaps/c-x')).toBe(true);
    // prune-app under the same allow-list deletes what it may and keeps the inventory holding c-x.
    const removed = await run(['prune-app', '--app', 'crashed', '--allow-namespaces', 'default']);
    expect(removed.code).toBe(0);
    expect(removed.json).toMatchObject({ inventoryRemoved: false });
    const left = await sandboxRequest(
      sandbox,
      'GET',
      '/api/v1/namespaces/default/configmaps/plumbline-inventory-crashed',
    );
    expect(left.json<{ data: { objects: string } }>().data.objects).toBe(
      `/ConfigMap/narrowed-ns/c-x pending ${since}`,
    );
  });

  it('does not delete another object that took the name of one it prunes while the sync ran (uid precondition)', async () => {
    const app = appDir({ 'a.yaml': cm('r-keep1'), 'b.yaml': cm('r-keep2'), 'c.yaml': cm('r-gone') });
    expect((await sync(app.dir, 'racer')).code).toBe(0);
    app.set({ 'a.yaml': cm('r-keep1').replace('k: v', 'k: v2'), 'b.yaml': cm('r-keep2') });
    // The apply of r-keep1 is slow: meanwhile r-gone is deleted, and another app's object takes its name.
    await sandboxRequest(sandbox, 'POST', '/sandbox/v1/faults', {
      body: JSON.stringify({ verb: 'apply', path: '/configmaps/r-keep1$', latencyMs: 1500, times: 1 }),
    });
    sandbox.resetStats();
    const running = sync(app.dir, 'racer', '--prune');
    while ((sandbox.stats().byVerb.apply ?? 0) < 1) await new Promise((r) => setTimeout(r, 20));
    await sandboxRequest(sandbox, 'DELETE', '/api/v1/namespaces/default/configmaps/r-gone');
    await post('/api/v1/namespaces/default/configmaps', {
      metadata: { name: 'r-gone', labels: { 'plumbline.dev/app': 'someone-else' } },
      data: { k: 'theirs' },
    });
    const r = await running;
    expect(change(r.json, 'ConfigMap/default/r-gone')).toMatchObject({
      action: 'skipped',
      reason: 'not pruned: another object took its name since it was read; the next sync looks again',
    });
    expect(await exists('/api/v1/namespaces/default/configmaps/r-gone')).toBe(true);
  });

  it('records an object its apply created as created when the answer was lost and the retry found it', async () => {
    const app = appDir({ 'a.yaml': cm('lr-a'), 'b.yaml': cm('lr-b') });
    // The API server creates lr-b, and the connection drops before the answer: the client retries.
    const fault = await sandboxRequest(sandbox, 'POST', '/sandbox/v1/faults', {
      body: JSON.stringify({ verb: 'apply', path: '/configmaps/lr-b$', resetAfter: true, times: 1 }),
    });
    expect(fault.status).toBeLessThan(300);
    const first = await sync(app.dir, 'lostreply');
    expect(first.code).toBe(0);
    expect(change(first.json, 'ConfigMap/default/lr-b')?.action).toBe('created');
    app.set({ 'a.yaml': cm('lr-a') });
    const pruned = await sync(app.dir, 'lostreply', '--prune');
    expect(change(pruned.json, 'ConfigMap/default/lr-b')?.action).toBe('deleted');
    expect(await exists('/api/v1/namespaces/default/configmaps/lr-b')).toBe(false);
  });

  it("keeps a CRD whose kind has objects outside this prune: deleting it would delete another app's objects", async () => {
    const crd =
      'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: gizmos.review.example.com\nspec:\n  group: review.example.com\n  scope: Namespaced\n  names: {plural: gizmos, singular: gizmo, kind: Gizmo}\n  versions:\n    - name: v1\n      served: true\n      storage: true\n      schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}\n';
    const gizmo = (name: string): string =>
      `apiVersion: review.example.com/v1\nkind: Gizmo\nmetadata:\n  name: ${name}\nspec:\n  size: 1\n`;
    const app = appDir({ 'crd.yaml': crd, 'mine.yaml': gizmo('mine'), 'keep.yaml': cm('crd-keep') });
    expect((await sync(app.dir, 'crdapp')).code).toBe(0);
    // Another app's object of that kind.
    const other = appDir({ 'theirs.yaml': gizmo('theirs') });
    expect((await sync(other.dir, 'gizmo-user')).code).toBe(0);
    app.set({ 'keep.yaml': cm('crd-keep') });
    const blocked = await sync(app.dir, 'crdapp', '--prune', '--force-prune');
    expect(change(blocked.json, 'Gizmo.review.example.com/default/mine')?.action).toBe('deleted');
    expect(change(blocked.json, 'CustomResourceDefinition/gizmos.review.example.com')).toMatchObject({
      action: 'skipped',
      reason: 'not pruned: 1 object(s) of its kind are outside this prune (Gizmo/default/theirs)',
    });
    expect(await exists('/apis/review.example.com/v1/namespaces/default/gizmos/theirs')).toBe(true);
    // Once the other app's object is gone, the CRD goes.
    other.set({});
    expect((await sync(other.dir, 'gizmo-user', '--prune', '--allow-empty', '--force-prune')).code).toBe(0);
    const deleted = await sync(app.dir, 'crdapp', '--prune', '--force-prune');
    expect(change(deleted.json, 'CustomResourceDefinition/gizmos.review.example.com')?.action).toBe(
      'deleted',
    );
  });

  it('keeps a namespace holding an object whose owner is outside it (a cluster-scoped owner)', async () => {
    const app = appDir({ 'ns.yaml': ns('ref-ns'), 'a.yaml': cm('mine', 'ref-ns'), 'b.yaml': cm('stay') });
    expect((await sync(app.dir, 'nsapp')).code).toBe(0);
    // Another team's object in the namespace, owned by a cluster-scoped object of theirs.
    const owner = await post<{ metadata: { uid: string } }>(
      '/apis/rbac.authorization.k8s.io/v1/clusterroles',
      {
        metadata: { name: 'team-owner' },
        rules: [],
      },
    );
    await post('/api/v1/namespaces/ref-ns/configmaps', {
      metadata: {
        name: 'theirs',
        ownerReferences: [
          {
            apiVersion: 'rbac.authorization.k8s.io/v1',
            kind: 'ClusterRole',
            name: 'team-owner',
            uid: owner.metadata.uid,
          },
        ],
      },
      data: { k: 'v' },
    });
    app.set({ 'b.yaml': cm('stay') });
    const r = await sync(app.dir, 'nsapp', '--prune', '--force-prune');
    expect(change(r.json, 'ConfigMap/ref-ns/mine')?.action).toBe('deleted');
    expect(change(r.json, 'Namespace/ref-ns')).toMatchObject({
      action: 'skipped',
      reason: 'not pruned: the namespace holds 1 object(s) outside this prune (ConfigMap/theirs)',
    });
    expect(await exists('/api/v1/namespaces/ref-ns/configmaps/theirs')).toBe(true);
  });
});
