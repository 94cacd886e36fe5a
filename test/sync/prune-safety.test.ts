import { type Sandbox, startSandbox } from '../../lib/local/sandbox';
import { appDir, cm, copyApp, ns, type SyncJson } from '../helpers/app-dir';
import { runCli } from '../helpers/cli';
import { sandboxRequest } from '../helpers/http';

/** #14 findings 2, 3, 4, 5 and 7: prune deletes only what is provably the app's, and the inventory loses nothing. */
describe('prune safety (plumbline sync and prune-app against the sandbox)', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ controllerDelayMs: 10 });
  });
  afterAll(async () => {
    await sandbox.stop();
  });

  const writes = (): number => {
    const v = sandbox.stats().byVerb;
    // Access reviews (#13) are POSTs that write nothing.
    const reviews = sandbox.stats().byResource['authorization.k8s.io/selfsubjectaccessreviews']?.create ?? 0;
    return (v.apply ?? 0) + (v.create ?? 0) - reviews + (v.update ?? 0) + (v.patch ?? 0) + (v.delete ?? 0);
  };
  const run = async (
    args: string[],
  ): Promise<{ code: number; json: SyncJson; stderr: string; stdout: string }> => {
    const r = await runCli([...args, '--kubeconfig', sandbox.kubeconfigPath, '-o', 'json']);
    return {
      code: r.code,
      json: r.stdout ? (JSON.parse(r.stdout) as SyncJson) : ({ changes: [], counts: {} } as SyncJson),
      stderr: r.stderr,
      stdout: r.stdout,
    };
  };
  const sync = (dir: string, app: string, ...extra: string[]) => run(['sync', dir, '--app', app, ...extra]);
  const exists = async (path: string): Promise<boolean> =>
    (await sandboxRequest(sandbox, 'GET', path)).status === 200;
  const post = async (path: string, body: unknown): Promise<void> => {
    const r = await sandboxRequest(sandbox, 'POST', path, { body: JSON.stringify(body) });
    expect(r.status).toBe(201);
  };
  const inventoryLines = async (app: string, namespace = 'default'): Promise<string[]> => {
    const r = await sandboxRequest(
      sandbox,
      'GET',
      `/api/v1/namespaces/${namespace}/configmaps/plumbline-inventory-${app}`,
    );
    return r.status === 200
      ? (r.json<{ data: { objects: string } }>().data.objects || '').split('\n').filter(Boolean)
      : [];
  };
  /** What 15 minutes do to a lease: rewritten to have ended a second ago. */
  const expireLease = async (app: string): Promise<void> => {
    const path = `/api/v1/namespaces/default/configmaps/plumbline-inventory-${app}`;
    const data = (await sandboxRequest(sandbox, 'GET', path)).json<{ data: { lease: string } }>().data;
    const lease = { ...(JSON.parse(data.lease) as object), until: new Date(Date.now() - 1000).toISOString() };
    const r = await sandboxRequest(sandbox, 'PATCH', path, {
      body: JSON.stringify({ data: { lease: JSON.stringify(lease) } }),
      contentType: 'application/merge-patch+json',
    });
    expect(r.status).toBe(200);
  };
  const change = (json: SyncJson, subject: string) => json.changes.find((c) => c.subject === subject);

  describe('inventory names are reserved (finding 2)', () => {
    it('refuses a manifest declaring an inventory ConfigMap, exit 2, before any request', async () => {
      const app = appDir({
        'a.yaml': cm('fine'),
        'forged.yaml': cm('plumbline-inventory-hello', 'kube-system'),
      });
      sandbox.resetStats();
      const r = await sync(app.dir, 'forger');
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        /^error: .*forged\.yaml \(document 1\): ConfigMap plumbline-inventory-hello: names starting with "plumbline-inventory-" are reserved/,
      );
      expect(sandbox.stats().total).toBe(0);
    });

    it('fails clearly on a stored inventory that is not well-formed, and applies and prunes nothing', async () => {
      const app = appDir({ 'a.yaml': cm('hello-a') });
      await post('/api/v1/namespaces/default/configmaps', {
        metadata: { name: 'plumbline-inventory-hello' },
        data: { objects: '/ConfigMap/kube-system/victim' },
      });
      sandbox.resetStats();
      const r = await sync(app.dir, 'hello', '--prune');
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /^error: inventory ConfigMap default\/plumbline-inventory-hello is not a Plumbline inventory .*unsupported inventory version undefined.*nothing was applied or pruned/,
      );
      expect(writes()).toBe(0);
      expect(await exists('/api/v1/namespaces/default/configmaps/hello-a')).toBe(false);
    });
  });

  it('reads an inventory an earlier Plumbline wrote (version 1) as before: its ids are pruned, and it is upgraded', async () => {
    for (const name of ['old-a', 'old-b', 'old-c'])
      await post('/api/v1/namespaces/default/configmaps', {
        metadata: {
          name,
          labels: { 'plumbline.dev/app': 'legacy', 'app.kubernetes.io/managed-by': 'plumbline' },
        },
        data: { k: 'v' },
      });
    // As the earlier version wrote it: server-side apply, ids only.
    const apply = await sandboxRequest(
      sandbox,
      'PATCH',
      '/api/v1/namespaces/default/configmaps/plumbline-inventory-legacy?fieldManager=plumbline',
      {
        body: JSON.stringify({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'plumbline-inventory-legacy' },
          data: {
            version: '1',
            objects: '/ConfigMap/default/old-a\n/ConfigMap/default/old-b\n/ConfigMap/default/old-c',
          },
        }),
        contentType: 'application/apply-patch+yaml',
      },
    );
    expect(apply.status).toBe(201);
    const app = appDir({ 'a.yaml': cm('old-a'), 'b.yaml': cm('old-b') });
    const r = await sync(app.dir, 'legacy', '--prune');
    expect(r.code).toBe(0);
    expect(change(r.json, 'ConfigMap/default/old-c')?.action).toBe('deleted');
    expect(await inventoryLines('legacy')).toEqual([
      '/ConfigMap/default/old-a created',
      '/ConfigMap/default/old-b created',
    ]);
  });

  it('never prunes outside the current allow-list, and keeps such ids in the inventory (finding 3)', async () => {
    await post('/api/v1/namespaces', { metadata: { name: 'team-a' } });
    await post('/api/v1/namespaces', { metadata: { name: 'team-b' } });
    const app = appDir({ 'a.yaml': cm('a1', 'team-a'), 'b.yaml': cm('b1', 'team-b') });
    expect((await sync(app.dir, 'teams')).code).toBe(0);
    app.set({ 'a.yaml': cm('a1', 'team-a') });
    // Credentials narrowed with the allow-list: diff and sync neither read team-b nor show b1 deleted.
    sandbox.faults.add({ path: '/namespaces/team-b/', status: 403 });
    const diff = await run(['diff', app.dir, '--app', 'teams', '--prune', '--allow-namespaces', 'team-a']);
    expect(diff).toMatchObject({ code: 0, stdout: '{"app":"teams","changes":[]}\n' });
    const r = await sync(app.dir, 'teams', '--prune', '--force-prune', '--allow-namespaces', 'team-a');
    sandbox.faults.clear();
    expect(r.code).toBe(0);
    expect(change(r.json, 'ConfigMap/team-b/b1')).toMatchObject({
      action: 'skipped',
      reason: 'not pruned: namespace team-b is outside the allow-list',
    });
    expect(await exists('/api/v1/namespaces/team-b/configmaps/b1')).toBe(true);
    expect(await inventoryLines('teams')).toContain('/ConfigMap/team-b/b1 created');
    // Once the allow-list covers it again, it is pruned.
    const wider = await sync(app.dir, 'teams', '--prune', '--force-prune');
    expect(change(wider.json, 'ConfigMap/team-b/b1')?.action).toBe('deleted');
  });

  describe('adopted objects and namespaces holding other objects (finding 4)', () => {
    it("keeps an adopted Namespace holding someone else's objects, even with --prune-adopted", async () => {
      await post('/api/v1/namespaces', { metadata: { name: 'prodns' } });
      await post('/api/v1/namespaces/prodns/configmaps', { metadata: { name: 'theirs' }, data: { k: 'v' } });
      const app = appDir({
        'ns.yaml': ns('prodns'),
        'a.yaml': cm('p1'),
        'b.yaml': cm('p2'),
        'c.yaml': cm('p3'),
      });
      const first = await sync(app.dir, 'adopter');
      expect(first.code).toBe(0);
      expect(change(first.json, 'Namespace/prodns')?.action).toBe('configured');
      expect(await inventoryLines('adopter')).toContain('/Namespace//prodns adopted');
      app.set({ 'a.yaml': cm('p1'), 'b.yaml': cm('p2'), 'c.yaml': cm('p3') });
      const diff = await run(['diff', app.dir, '--app', 'adopter', '--prune']);
      expect(diff).toMatchObject({ code: 0, stdout: '{"app":"adopter","changes":[]}\n' });
      const kept = await sync(app.dir, 'adopter', '--prune');
      expect(kept.code).toBe(0);
      expect(change(kept.json, 'Namespace/prodns')).toMatchObject({
        action: 'skipped',
        reason: expect.stringMatching(/^not pruned: adopted \(it existed before the app applied it\)/),
      });
      const forced = await sync(app.dir, 'adopter', '--prune', '--prune-adopted');
      expect(change(forced.json, 'Namespace/prodns')).toMatchObject({
        action: 'skipped',
        reason: 'not pruned: the namespace holds 1 object(s) outside this prune (ConfigMap/theirs)',
      });
      expect(await exists('/api/v1/namespaces/prodns/configmaps/theirs')).toBe(true);
      expect(await inventoryLines('adopter')).toContain('/Namespace//prodns adopted');
    });

    it('deletes a namespace it created when it holds only what this prune deletes, not when it holds more', async () => {
      const app = appDir({
        'ns.yaml': ns('own-ns'),
        'a.yaml': cm('o1', 'own-ns'),
        'b.yaml': cm('keep1'),
        'c.yaml': cm('keep2'),
      });
      expect((await sync(app.dir, 'owner')).code).toBe(0);
      await post('/api/v1/namespaces/own-ns/configmaps', { metadata: { name: 'stray' }, data: { k: 'v' } });
      app.set({ 'b.yaml': cm('keep1'), 'c.yaml': cm('keep2') });
      const blocked = await sync(app.dir, 'owner', '--prune');
      expect(change(blocked.json, 'ConfigMap/own-ns/o1')?.action).toBe('deleted');
      expect(change(blocked.json, 'Namespace/own-ns')?.reason).toBe(
        'not pruned: the namespace holds 1 object(s) outside this prune (ConfigMap/stray)',
      );
      await sandboxRequest(sandbox, 'DELETE', '/api/v1/namespaces/own-ns/configmaps/stray');
      const deleted = await sync(app.dir, 'owner', '--prune');
      expect(change(deleted.json, 'Namespace/own-ns')?.action).toBe('deleted');
    });

    it('prune-app deletes what an app left under the same rules, then removes its inventory (--dry-run first)', async () => {
      await post('/api/v1/namespaces/default/configmaps', {
        metadata: { name: 'pre-existing' },
        data: { k: 'v' },
      });
      const app = appDir({ 'a.yaml': cm('gone1'), 'b.yaml': cm('gone2'), 'c.yaml': cm('pre-existing') });
      expect((await sync(app.dir, 'removed')).code).toBe(0);
      sandbox.resetStats();
      const dry = await run(['prune-app', '--app', 'removed', '--dry-run']);
      expect(dry.code).toBe(0);
      expect(change(dry.json, 'ConfigMap/default/gone1')?.action).toBe('deleted');
      // Deletes sent with dryRun=All only; the inventory is not written.
      const verbs = sandbox.stats().byVerb;
      expect([verbs.create, verbs.update, verbs.apply]).toEqual([undefined, undefined, undefined]);
      expect(await exists('/api/v1/namespaces/default/configmaps/gone1')).toBe(true);
      expect(await inventoryLines('removed')).toHaveLength(3);
      const r = await run(['prune-app', '--app', 'removed']);
      expect(r.code).toBe(0);
      expect(change(r.json, 'ConfigMap/default/gone1')?.action).toBe('deleted');
      expect(change(r.json, 'ConfigMap/default/pre-existing')?.reason).toMatch(/^not pruned: adopted/);
      expect(await exists('/api/v1/namespaces/default/configmaps/pre-existing')).toBe(true);
      expect(await inventoryLines('removed')).toEqual(['/ConfigMap/default/pre-existing adopted']);
      const all = await run(['prune-app', '--app', 'removed', '--prune-adopted']);
      expect(all.json).toMatchObject({ inventoryRemoved: true });
      expect(await exists('/api/v1/namespaces/default/configmaps/plumbline-inventory-removed')).toBe(false);
    });
  });

  describe('empty renders and the prune share (finding 5)', () => {
    it('refuses a render with no object, exit 1, and deletes nothing; --allow-empty still stops at the share', async () => {
      const app = appDir({ 'a.yaml': cm('e1'), 'b.yaml': cm('e2'), 'c.yaml': cm('e3') });
      expect((await sync(app.dir, 'empty')).code).toBe(0);
      app.set({ 'only-a-comment.yaml': '# nothing here\n', 'main.jsonnet': '{}\n' });
      sandbox.resetStats();
      const refused = await sync(app.dir, 'empty', '--prune');
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(
        /^error: app empty rendered no objects: .*allowEmpty: true \(--allow-empty\)/,
      );
      expect(sandbox.stats().total).toBe(0);
      const capped = await sync(app.dir, 'empty', '--prune', '--allow-empty');
      expect(capped.code).toBe(0);
      expect(capped.json.counts.deleted).toBe(0);
      expect(change(capped.json, 'ConfigMap/default/e1')?.reason).toBe(
        "not pruned: this sync would delete 3 of the app's 3 objects, more than 50%; sync with --force-prune (or raise pruneShare) to delete them",
      );
      expect(await exists('/api/v1/namespaces/default/configmaps/e1')).toBe(true);
      const forced = await sync(app.dir, 'empty', '--prune', '--allow-empty', '--force-prune');
      expect(forced.json.counts.deleted).toBe(3);
    });
  });

  describe('the inventory is written as intent, then confirmed (finding 7)', () => {
    it('fails early on a missing namespace, before any write, naming it', async () => {
      const role =
        'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: nowhere-reader\nrules: []\n';
      const app = appDir({ 'role.yaml': role, 'a.yaml': cm('n1', 'nowhere') });
      sandbox.resetStats();
      const r = await sync(app.dir, 'nowhere');
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /^error: namespace\(s\) nowhere do not exist and app nowhere does not declare them/,
      );
      expect(writes()).toBe(0);
      expect(await exists('/apis/rbac.authorization.k8s.io/v1/clusterroles/nowhere-reader')).toBe(false);
    });

    it('creates the namespace the inventory lives in first, when the app declares it', async () => {
      const app = appDir({ 'ns.yaml': ns('selfns'), 'a.yaml': cm('s1') });
      const r = await sync(app.dir, 'selfns', '--namespace', 'selfns');
      expect(r.code).toBe(0);
      expect(change(r.json, 'Namespace/selfns')?.action).toBe('created');
      expect(await inventoryLines('selfns', 'selfns')).toEqual([
        '/ConfigMap/selfns/s1 created',
        '/Namespace//selfns created',
      ]);
    });

    it('prints the change set and the error when the confirmation fails, and a later prune still deletes', async () => {
      await post('/api/v1/namespaces/default/configmaps', {
        metadata: { name: 'f7-theirs' },
        data: { k: 'v' },
      });
      // Older than the intent by more than the tolerated clock skew: it existed before the app.
      await new Promise((resolve) => setTimeout(resolve, 3200));
      const app = appDir({
        'a.yaml': cm('f7-a'),
        'b.yaml': cm('f7-b'),
        'c.yaml': cm('f7-c'),
        'd.yaml': cm('f7-theirs'),
      });
      // The intent (a create) passes; every attempt at the confirmation (a replace) fails.
      sandbox.faults.add({
        verb: 'update',
        path: '/configmaps/plumbline-inventory-f7$',
        status: 500,
        times: 5,
      });
      const failed = await sync(app.dir, 'f7');
      sandbox.faults.clear();
      expect(failed.code).toBe(1);
      expect(failed.json.counts).toMatchObject({ created: 3, configured: 1 });
      expect(failed.json.error).toMatch(/^inventory not confirmed: /);
      expect(failed.stderr).toMatch(/^error: inventory not confirmed: /);
      const lines = await inventoryLines('f7');
      expect(lines.filter((l) => / pending /.test(l))).toHaveLength(4);
      // Two dropped out of four (not more than half): the created one is pruned, the adopted one kept.
      app.set({ 'a.yaml': cm('f7-a'), 'b.yaml': cm('f7-b') });
      // The failed run still holds the lease: refused, with why, until it ends.
      const refused = await sync(app.dir, 'f7', '--prune');
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/is being synced by another run .*could not confirm its inventory/);
      await expireLease('f7');
      const pruned = await sync(app.dir, 'f7', '--prune');
      expect(pruned.code).toBe(0);
      expect(change(pruned.json, 'ConfigMap/default/f7-c')?.action).toBe('deleted');
      expect(change(pruned.json, 'ConfigMap/default/f7-theirs')?.reason).toMatch(/^not pruned: adopted/);
      expect(await exists('/api/v1/namespaces/default/configmaps/f7-theirs')).toBe(true);
      expect((await inventoryLines('f7')).sort()).toEqual([
        '/ConfigMap/default/f7-a created',
        '/ConfigMap/default/f7-b created',
        '/ConfigMap/default/f7-theirs adopted',
      ]);
    });

    it('confirms what it applied and releases the lease when a run fails after its intent', async () => {
      const app = copyApp('widgets');
      // Every read of the new CRD fails (after retries): the wait for it throws, past the intent.
      sandbox.faults.add({
        verb: 'get',
        path: '/customresourcedefinitions/widgets\\.example\\.com$',
        status: 500,
      });
      const failed = await sync(app.dir, 'widgets', '--allow-cluster-scoped');
      sandbox.faults.clear();
      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(/^error: /);
      const path = '/api/v1/namespaces/default/configmaps/plumbline-inventory-widgets';
      const data = (await sandboxRequest(sandbox, 'GET', path)).json<{ data: Record<string, string> }>().data;
      expect(data.lease).toBeUndefined();
      expect(data.objects).toContain(
        'apiextensions.k8s.io/CustomResourceDefinition//widgets.example.com created',
      );
      const again = await sync(app.dir, 'widgets', '--allow-cluster-scoped');
      expect(again.code).toBe(0);
    });

    it('writes the inventory once more per sync that adds objects, never for a no-op re-sync', async () => {
      const app = appDir({ 'a.yaml': cm('w1'), 'b.yaml': cm('w2') });
      sandbox.resetStats();
      expect((await sync(app.dir, 'counted')).code).toBe(0);
      // Two applies, the intent (create) and the confirmation (replace); and the access reviews of
      // the new objects (create and patch of configmaps: two more creates).
      expect(sandbox.stats().byVerb).toMatchObject({ apply: 2, create: 3, update: 1 });
      sandbox.resetStats();
      expect((await sync(app.dir, 'counted')).code).toBe(0);
      const noop = sandbox.stats();
      expect(writes()).toBe(0);
      // The inventory get, discovery of v1, one list of ConfigMaps in default: as before the intent.
      expect(noop.total).toBe(3);
      app.set({ 'a.yaml': cm('w1'), 'b.yaml': cm('w2'), 'c.yaml': cm('w3') });
      sandbox.resetStats();
      expect((await sync(app.dir, 'counted')).code).toBe(0);
      // The namespace check, one apply, the intent and the confirmation (both replaces).
      expect(sandbox.stats().byVerb).toMatchObject({ apply: 1, update: 2 });
    });

    it('refuses a second sync of an app while another holds its inventory, and loses no object to concurrent syncs', async () => {
      const many = (prefix: string, n: number): Record<string, string> =>
        Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i}.yaml`, cm(`${prefix}${i}`)]));
      const one = appDir(many('race-x', 5));
      const two = appDir(many('race-y', 5));
      const [a, b] = await Promise.all([sync(one.dir, 'race'), sync(two.dir, 'race')]);
      expect([a.code, b.code].sort()).toEqual([0, 1]);
      const loser = a.code === 1 ? a : b;
      expect(loser.stderr).toMatch(/another sync of the app is running|being synced by another run/);
      const labelled = (
        await sandboxRequest(
          sandbox,
          'GET',
          '/api/v1/namespaces/default/configmaps?labelSelector=plumbline.dev%2Fapp%3Drace',
        )
      ).json<{ items: { metadata: { name: string } }[] }>();
      const inventory = (await inventoryLines('race')).map((l) => l.split(' ')[0]);
      for (const item of labelled.items)
        expect(inventory).toContain(`/ConfigMap/default/${item.metadata.name}`);
    });

    it('refuses to write while another run holds the lease, and syncs once it has expired', async () => {
      const app = appDir({ 'a.yaml': cm('l1') });
      expect((await sync(app.dir, 'leased')).code).toBe(0);
      const path = '/api/v1/namespaces/default/configmaps/plumbline-inventory-leased';
      const lease = (until: number) =>
        sandboxRequest(sandbox, 'PATCH', path, {
          body: JSON.stringify({
            data: { lease: JSON.stringify({ holder: 'other', until: new Date(until).toISOString() }) },
          }),
          contentType: 'application/merge-patch+json',
        });
      expect((await lease(Date.now() + 60_000)).status).toBe(200);
      expect((await sync(app.dir, 'leased')).code).toBe(0); // a no-op writes nothing: allowed
      app.set({ 'a.yaml': cm('l1'), 'b.yaml': cm('l2') });
      sandbox.resetStats();
      const busy = await sync(app.dir, 'leased');
      expect(busy.code).toBe(1);
      expect(busy.stderr).toMatch(
        /^error: app leased is being synced by another run \(its lease ends .*; nothing was applied/,
      );
      expect(writes()).toBe(0);
      await lease(Date.now() - 1000);
      expect((await sync(app.dir, 'leased')).code).toBe(0);
    });
  });
});
