import * as k8s from '@kubernetes/client-node';
import { ConfigMapInventoryStore, KubeHttp, KubernetesCluster } from '../../lib/adapters/kubernetes';
import type { KubeObject } from '../../lib/core/manifests';
import { type ClusterPort, type SyncOptions, syncApp } from '../../lib/core/sync';
import { type Sandbox, startSandbox } from '../../lib/local/sandbox';
import { sandboxRequest } from '../helpers/http';

/**
 * The move from the shared field manager is a JSON patch guarded by the resourceVersion it was
 * computed from: when someone writes the object between the engine's list and that patch, the
 * server refuses it (422), and the engine reads the object again before deciding.
 */
describe('migration from the shared field manager when the object changes meanwhile', () => {
  let sandbox: Sandbox;
  let http: KubeHttp;
  const ns = 'race';
  const path = `/api/v1/namespaces/${ns}/configmaps/hello-config`;
  const options: SyncOptions = {
    app: 'team-a',
    namespace: ns,
    allow: { clusterScoped: false },
    prune: false,
    dryRun: false,
    force: true,
    concurrency: 4,
    wait: false,
    timeoutMs: 1000,
  };
  const desired: KubeObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'hello-config' },
    data: { greeting: 'hello' },
  };
  const manifests = [{ object: desired, source: { file: 'config.yaml', document: 0 } }];

  const applyAsOldEngine = async () => {
    const object = {
      ...desired,
      metadata: {
        name: 'hello-config',
        namespace: ns,
        labels: { 'app.kubernetes.io/managed-by': 'plumbline', 'plumbline.dev/app': 'team-a' },
      },
    };
    await sandboxRequest(sandbox, 'PATCH', `${path}?fieldManager=plumbline&force=true`, {
      body: JSON.stringify(object),
      contentType: 'application/apply-patch+yaml',
    });
  };
  const mergePatch = (body: unknown) =>
    sandboxRequest(sandbox, 'PATCH', `${path}?fieldManager=someone`, {
      body: JSON.stringify(body),
      contentType: 'application/merge-patch+json',
    });
  /** The real cluster, with `before` run once, just before the engine's first JSON patch. */
  const withWriteBeforePatch = (before: () => Promise<unknown>): ClusterPort => {
    const real = new KubernetesCluster(http);
    let pending = true;
    return Object.assign(Object.create(real) as KubernetesCluster, {
      patch: async (...args: Parameters<ClusterPort['patch']>) => {
        if (pending) {
          pending = false;
          await before();
        }
        return real.patch(...args);
      },
    });
  };
  const sync = (cluster: ClusterPort) =>
    syncApp(manifests, { cluster, inventory: new ConfigMapInventoryStore(cluster) }, options);
  const live = async () =>
    (await sandboxRequest(sandbox, 'GET', path)).json<{
      metadata: { labels: Record<string, string>; managedFields: { manager: string }[] };
      data: Record<string, string>;
    }>();

  beforeAll(async () => {
    sandbox = await startSandbox({ controllerDelayMs: 10 });
    const kc = new k8s.KubeConfig();
    kc.loadFromString(sandbox.kubeconfig);
    http = new KubeHttp(kc);
    await sandboxRequest(sandbox, 'POST', '/api/v1/namespaces', {
      body: JSON.stringify({ metadata: { name: ns } }),
    });
  });
  afterAll(async () => {
    await http.close();
    await sandbox.stop();
  });
  beforeEach(async () => {
    await sandboxRequest(sandbox, 'DELETE', path);
    await applyAsOldEngine();
  });

  it('reads the object again and moves it when another writer changed it first', async () => {
    sandbox.resetStats();
    const result = await sync(withWriteBeforePatch(() => mergePatch({ data: { extra: 'x' } })));
    expect(result.ok).toBe(true);
    // The other writer's patch, the engine's refused one, and its second one after a read (the other
    // gets: the inventory, and the namespace checked before the inventory's intent).
    expect(sandbox.stats().byVerb).toMatchObject({ patch: 3, get: 3 });
    const after = await live();
    expect(after.metadata.managedFields.map((m) => m.manager).sort()).toEqual([
      'plumbline-team-a',
      'someone',
    ]);
    expect(after.data).toEqual({ greeting: 'hello', extra: 'x' });
  });

  it('refuses the object when it changed hands meanwhile, and leaves the shared manager in place', async () => {
    const result = await sync(
      withWriteBeforePatch(() => mergePatch({ metadata: { labels: { 'plumbline.dev/app': 'team-b' } } })),
    );
    expect(result.ok).toBe(false);
    expect(result.changes[0]).toMatchObject({ action: 'failed', owner: 'team-b' });
    const after = await live();
    expect(after.metadata.labels['plumbline.dev/app']).toBe('team-b');
    expect(after.metadata.managedFields.map((m) => m.manager)).toContain('plumbline');
  });
});
