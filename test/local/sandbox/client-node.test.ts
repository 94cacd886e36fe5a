import * as k8s from '@kubernetes/client-node';
import { PooledKubeConfig } from '../../../lib/adapters/kubernetes';
import { type Sandbox, startSandbox } from '../../../lib/local/sandbox';

/** @kubernetes/client-node's generic object API against the sandbox: SSA, list, delete. */
describe('sandbox with client-node KubernetesObjectApi', () => {
  let sandbox: Sandbox;
  let client: k8s.KubernetesObjectApi;

  beforeAll(async () => {
    sandbox = await startSandbox({ controllerDelayMs: 10 });
    const kc = new k8s.KubeConfig();
    kc.loadFromString(sandbox.kubeconfig);
    client = k8s.KubernetesObjectApi.makeApiClient(kc);
  });
  afterAll(async () => {
    await sandbox.stop();
  });

  const deployment = (image: string, extra: Record<string, string> = {}): k8s.KubernetesObject =>
    ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'api', namespace: 'default', labels: { app: 'api', ...extra } },
      spec: {
        selector: { matchLabels: { app: 'api' } },
        template: { metadata: { labels: { app: 'api' } }, spec: { containers: [{ name: 'api', image }] } },
      },
    }) as k8s.KubernetesObject;

  it('creates with server-side apply, then updates in place with a new generation', async () => {
    const created = await client.patch(
      deployment('api:1'),
      undefined,
      undefined,
      'plumbline',
      true,
      k8s.PatchStrategy.ServerSideApply,
    );
    expect(created.metadata?.uid).toBeTruthy();
    expect(created.metadata?.generation).toBe(1);
    expect(created.metadata?.managedFields?.[0]).toMatchObject({ manager: 'plumbline', operation: 'Apply' });
    const updated = await client.patch(
      deployment('api:2'),
      undefined,
      undefined,
      'plumbline',
      true,
      k8s.PatchStrategy.ServerSideApply,
    );
    expect(updated.metadata?.uid).toBe(created.metadata?.uid);
    expect(updated.metadata?.generation).toBe(2);
    expect(Number(updated.metadata?.resourceVersion)).toBeGreaterThan(
      Number(created.metadata?.resourceVersion),
    );
  });

  it('leaves the object untouched when the same config is applied again', async () => {
    const before = await client.read({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'api', namespace: 'default' },
    });
    const again = await client.patch(
      deployment('api:2'),
      undefined,
      undefined,
      'plumbline',
      true,
      k8s.PatchStrategy.ServerSideApply,
    );
    expect(again.metadata?.generation).toBe(before.metadata?.generation);
    expect(again.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
  });

  it('lists with a label selector', async () => {
    await client.patch(
      deployment('api:2', { tier: 'backend' }),
      undefined,
      undefined,
      'plumbline',
      true,
      k8s.PatchStrategy.ServerSideApply,
    );
    const list = await client.list(
      'apps/v1',
      'Deployment',
      'default',
      undefined,
      undefined,
      undefined,
      undefined,
      'tier in (backend,frontend)',
    );
    expect(list.items.map((d) => d.metadata?.name)).toEqual(['api']);
    const none = await client.list(
      'apps/v1',
      'Deployment',
      'default',
      undefined,
      undefined,
      undefined,
      undefined,
      'tier=frontend',
    );
    expect(none.items).toEqual([]);
  });

  it('deletes, after which a read is a 404 ApiException', async () => {
    await client.delete({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'api', namespace: 'default' },
    });
    await expect(
      client.read({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'api', namespace: 'default' },
      }),
    ).rejects.toMatchObject({
      code: 404,
    });
  });
});

describe('PooledKubeConfig', () => {
  it('serves KubernetesObjectApi over kept-alive connections: apply, read, list and delete work', async () => {
    const sandbox = await startSandbox();
    const kc = new PooledKubeConfig();
    kc.loadFromString(sandbox.kubeconfig);
    try {
      const client = k8s.KubernetesObjectApi.makeApiClient(kc);
      const cm = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'pooled', namespace: 'default' },
        data: { a: '1' },
      };
      for (const value of ['1', '2', '3']) {
        await client.patch(
          { ...cm, data: { a: value } } as k8s.KubernetesObject,
          undefined,
          undefined,
          'plumbline',
          true,
          k8s.PatchStrategy.ServerSideApply,
        );
      }
      const read = (await client.read({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'pooled', namespace: 'default' },
      })) as k8s.KubernetesObject & { data: Record<string, string> };
      expect(read.data).toEqual({ a: '3' });
      expect((await client.list('v1', 'ConfigMap', 'default')).items.map((i) => i.metadata?.name)).toContain(
        'pooled',
      );
      await client.delete({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'pooled', namespace: 'default' },
      });
      await expect(
        client.read({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'pooled', namespace: 'default' },
        }),
      ).rejects.toMatchObject({ code: 404 });
    } finally {
      await kc.close();
      await sandbox.stop();
    }
  });
});
