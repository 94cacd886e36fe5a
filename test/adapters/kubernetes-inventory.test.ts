import { gzipSync } from 'node:zlib';
import * as k8s from '@kubernetes/client-node';
import { ConfigMapInventoryStore, KubeHttp, KubernetesCluster } from '../../lib/adapters/kubernetes';
import { InventoryBusyError, InventoryError } from '../../lib/core/inventory';
import type { ObjectId } from '../../lib/core/manifests';
import { type Sandbox, startSandbox } from '../../lib/local/sandbox';
import { sandboxRequest } from '../helpers/http';

const ids = (n: number): ObjectId[] =>
  Array.from({ length: n }, (_, i) => ({
    group: 'apps',
    kind: 'Deployment',
    namespace: `team-${i % 50}`,
    name: `service-with-a-rather-long-descriptive-name-${'x'.repeat(40)}-${i}`,
  }));

/** The CLI's inventory, a ConfigMap: what a ConfigMap's 1 MiB holds, and past that. */
describe('ConfigMapInventoryStore', () => {
  let sandbox: Sandbox;
  let http: KubeHttp;
  let store: ConfigMapInventoryStore;
  const path = '/api/v1/namespaces/default/configmaps/plumbline-inventory-big';
  beforeAll(async () => {
    sandbox = await startSandbox({ controllerDelayMs: 10 });
    const kc = new k8s.KubeConfig();
    kc.loadFromString(sandbox.kubeconfig);
    http = new KubeHttp(kc);
    store = new ConfigMapInventoryStore(new KubernetesCluster(http));
  });
  afterAll(async () => {
    await http.close();
    await sandbox.stop();
  });

  it('refuses a ConfigMap over 1 MiB, as the API server does', async () => {
    const big = await sandboxRequest(sandbox, 'POST', '/api/v1/namespaces/default/configmaps', {
      body: JSON.stringify({ metadata: { name: 'too-big' }, data: { blob: 'x'.repeat(1024 * 1024) } }),
    });
    expect(big.status).toBe(422);
    expect(big.json<{ message: string }>().message).toContain('Too long: must have at most 1048576 bytes');
  });

  it('gzips the ids of an app too large for one ConfigMap, and reads them back', async () => {
    const many = ids(20_000); // about 2.6 MB of lines
    const entries = many.map((id) => ({ id, origin: 'created' as const }));
    const first = await store.save('big', 'default', { entries }, { dryRun: false, expected: undefined });
    const cm = (await sandboxRequest(sandbox, 'GET', path)).json<{
      data: Record<string, string>;
      binaryData?: Record<string, string>;
    }>();
    expect(cm.data).toEqual({ version: '3' });
    expect(Buffer.from(cm.binaryData?.['objects.gz'] ?? '', 'base64').length).toBeLessThan(1024 * 1024);
    const loaded = await store.load('big', 'default');
    expect(loaded?.inventory.entries).toHaveLength(20_000);
    expect(loaded?.revision).toBe(first);
    expect(new Set(loaded?.inventory.entries.map((e) => e.id.name))).toEqual(
      new Set(many.map((id) => id.name)),
    );

    // Back under the limit: plain lines again, the gzipped copy gone.
    await store.save('big', 'default', { entries: entries.slice(0, 10) }, { dryRun: false, expected: first });
    const small = (await sandboxRequest(sandbox, 'GET', path)).json<{
      data: Record<string, string>;
      binaryData?: unknown;
    }>();
    expect(small.data.version).toBe('3');
    expect(small.data.objects?.split('\n')).toHaveLength(10);
    expect(small.binaryData).toBeUndefined();
  });

  it('reads versions 1 and 2 (written before origins) as created', async () => {
    await sandboxRequest(sandbox, 'POST', '/api/v1/namespaces/default/configmaps', {
      body: JSON.stringify({
        metadata: { name: 'plumbline-inventory-v1' },
        data: { version: '1', objects: '/ConfigMap/default/a' },
      }),
    });
    await sandboxRequest(sandbox, 'POST', '/api/v1/namespaces/default/configmaps', {
      body: JSON.stringify({
        metadata: { name: 'plumbline-inventory-v2' },
        data: { version: '2' },
        binaryData: { 'objects.gz': gzipSync('/ConfigMap/default/b').toString('base64') },
      }),
    });
    expect((await store.load('v1', 'default'))?.inventory.entries).toEqual([
      { id: { group: '', kind: 'ConfigMap', namespace: 'default', name: 'a' }, origin: 'created' },
    ]);
    expect((await store.load('v2', 'default'))?.inventory.entries).toEqual([
      { id: { group: '', kind: 'ConfigMap', namespace: 'default', name: 'b' }, origin: 'created' },
    ]);
  });

  it('writes only over the version it read: a stale writer gets InventoryBusyError and changes nothing', async () => {
    const entries = ids(2).map((id) => ({ id, origin: 'created' as const }));
    const first = await store.save('race', 'default', { entries }, { dryRun: false, expected: undefined });
    await expect(
      store.save('race', 'default', { entries }, { dryRun: false, expected: undefined }),
    ).rejects.toThrow(InventoryBusyError);
    const second = await store.save(
      'race',
      'default',
      { entries: entries.slice(1) },
      { dryRun: false, expected: first },
    );
    await expect(
      store.save('race', 'default', { entries: [] }, { dryRun: false, expected: first }),
    ).rejects.toThrow(/changed since this sync read it: another sync of the app is running/);
    await expect(store.remove('race', 'default', { dryRun: false, expected: first })).rejects.toThrow(
      InventoryBusyError,
    );
    expect((await store.load('race', 'default'))?.inventory.entries).toHaveLength(1);
    await store.remove('race', 'default', { dryRun: false, expected: second });
    expect(await store.load('race', 'default')).toBeUndefined();
  });

  it('refuses a compressed inventory that does not decompress, with a clear error', async () => {
    await sandboxRequest(sandbox, 'POST', '/api/v1/namespaces/default/configmaps', {
      body: JSON.stringify({
        metadata: { name: 'plumbline-inventory-broken' },
        data: { version: '2' },
        binaryData: { 'objects.gz': Buffer.from('not gzip').toString('base64') },
      }),
    });
    const load = store.load('broken', 'default');
    await expect(load).rejects.toThrow(InventoryError);
    await expect(store.load('broken', 'default')).rejects.toThrow(
      /^inventory ConfigMap default\/plumbline-inventory-broken is not a Plumbline inventory .*objects\.gz does not decompress: .*nothing was applied or pruned/,
    );
  });
});
