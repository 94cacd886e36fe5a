import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { type Sandbox, startSandbox } from '../../lib/local/sandbox';
import { copyApp } from '../helpers/app-dir';
import { runCli } from '../helpers/cli';
import { sandboxRequest } from '../helpers/http';

interface SyncJson {
  changes: { id: string; subject: string; action: string; reason: string | null; conflicts?: string[] }[];
  counts: Record<string, number>;
  unhealthy: { subject: string; status: string }[];
}

describe('plumbline sync against the sandbox', () => {
  let sandbox: Sandbox;
  const writes = (): number => {
    const v = sandbox.stats().byVerb;
    return (v.apply ?? 0) + (v.create ?? 0) + (v.update ?? 0) + (v.patch ?? 0) + (v.delete ?? 0);
  };

  beforeAll(async () => {
    sandbox = await startSandbox({ controllerDelayMs: 10 });
  });
  afterAll(async () => {
    await sandbox.stop();
  });

  const namespace = async (name: string): Promise<string> => {
    await sandboxRequest(sandbox, 'POST', '/api/v1/namespaces', {
      body: JSON.stringify({ metadata: { name } }),
    });
    return name;
  };

  const sync = async (
    dir: string,
    app: string,
    ...extra: string[]
  ): Promise<{ code: number; json: SyncJson; stderr: string }> => {
    const run = await runCli([
      'sync',
      dir,
      '--app',
      app,
      '--kubeconfig',
      sandbox.kubeconfigPath,
      '-o',
      'json',
      ...extra,
    ]);
    return {
      code: run.code,
      json: run.stdout ? (JSON.parse(run.stdout) as SyncJson) : ({} as SyncJson),
      stderr: run.stderr,
    };
  };

  it('creates every object, labels them, and records the inventory', async () => {
    const app = copyApp('shop');
    const { code, json } = await sync(app.dir, 'shop');
    expect(code).toBe(0);
    expect(json.counts).toMatchObject({ created: 4, failed: 0 });
    const cm = (
      await sandboxRequest(sandbox, 'GET', '/api/v1/namespaces/default/configmaps/shop-config')
    ).json<{ metadata: { labels: Record<string, string> } }>();
    expect(cm.metadata.labels).toMatchObject({
      'app.kubernetes.io/managed-by': 'plumbline',
      'plumbline.dev/app': 'shop',
    });
    const inv = (
      await sandboxRequest(sandbox, 'GET', '/api/v1/namespaces/default/configmaps/plumbline-inventory-shop')
    ).json<{ data: { objects: string } }>();
    expect(inv.data.objects.split('\n').sort()).toEqual([
      '/ConfigMap/default/shop-config created',
      '/Secret/default/shop-secret created',
      '/Service/default/shop created',
      'apps/Deployment/default/shop created',
    ]);
  });

  it('re-syncs an unchanged app with lists only: no writes, one list per kind and namespace', async () => {
    const app = copyApp('shop');
    sandbox.resetStats();
    const { code, json } = await sync(app.dir, 'shop');
    expect(code).toBe(0);
    expect(json.counts).toMatchObject({ unchanged: 4, created: 0, configured: 0 });
    expect(writes()).toBe(0);
    // 4 kinds x 1 namespace lists + inventory get + discovery (core/v1, apps/v1).
    expect(sandbox.stats().total).toBeLessThanOrEqual(4 + 5);
  });

  it('configures an object whose manifest changed and removes a field Git dropped', async () => {
    const app = copyApp('shop');
    app.write('config.yaml', readFileSync(`${app.dir}/config.yaml`, 'utf8').replace('  color: blue\n', ''));
    const { json } = await sync(app.dir, 'shop');
    expect(json.changes.find((c) => c.subject === 'ConfigMap/default/shop-config')?.action).toBe(
      'configured',
    );
    const cm = (
      await sandboxRequest(sandbox, 'GET', '/api/v1/namespaces/default/configmaps/shop-config')
    ).json<{ data: Record<string, string> }>();
    expect(cm.data).toEqual({ greeting: 'hello' });
  });

  it('records a conflict with another field manager and takes the field back (force), or fails with --no-force', async () => {
    const app = copyApp('shop');
    await sync(app.dir, 'shop');
    const edit = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'shop', namespace: 'default' },
      spec: { replicas: 5 },
    };
    const path = '/apis/apps/v1/namespaces/default/deployments/shop?fieldManager=kubectl-edit&force=true';
    await sandboxRequest(sandbox, 'PATCH', path, {
      body: JSON.stringify(edit),
      contentType: 'application/apply-patch+yaml',
    });
    const refused = await sync(app.dir, 'shop', '--no-force');
    expect(refused.code).toBe(1);
    const failed = refused.json.changes.find((c) => c.subject === 'Deployment/default/shop');
    expect(failed?.action).toBe('failed');
    expect(failed?.conflicts?.join()).toContain('.spec.replicas');
    const forced = await sync(app.dir, 'shop');
    expect(forced.code).toBe(0);
    const change = forced.json.changes.find((c) => c.subject === 'Deployment/default/shop');
    expect(change).toMatchObject({ action: 'configured', reason: expect.stringContaining('took ownership') });
    expect(change?.conflicts?.join()).toContain('.spec.replicas');
    const live = (
      await sandboxRequest(sandbox, 'GET', '/apis/apps/v1/namespaces/default/deployments/shop')
    ).json<{ spec: { replicas: number } }>();
    expect(live.spec.replicas).toBe(2);
  });

  it('fails an immutable-field change clearly, and replaces the object when annotated', async () => {
    const app = copyApp('shop');
    const ns = await namespace('replace-test');
    expect((await sync(app.dir, 'shop', '-n', ns)).code).toBe(0);
    const original = readFileSync(`${app.dir}/deployment.yaml`, 'utf8');
    app.write('deployment.yaml', original.replaceAll('app: shop', 'app: shop-v2'));
    const refused = await sync(app.dir, 'shop', '-n', ns);
    expect(refused.code).toBe(1);
    expect(refused.json.changes.find((c) => c.subject === `Deployment/${ns}/shop`)?.reason).toMatch(
      /immutable.*plumbline\.dev\/replace/,
    );
    const before = (
      await sandboxRequest(sandbox, 'GET', `/apis/apps/v1/namespaces/${ns}/deployments/shop`)
    ).json<{ metadata: { uid: string } }>();
    app.write(
      'deployment.yaml',
      original
        .replaceAll('app: shop', 'app: shop-v2')
        .replace('  labels:\n', '  annotations:\n    plumbline.dev/replace: "true"\n  labels:\n'),
    );
    const replaced = await sync(app.dir, 'shop', '-n', ns);
    expect(replaced.code).toBe(0);
    expect(replaced.json.changes.find((c) => c.subject === `Deployment/${ns}/shop`)?.reason).toContain(
      'replaced',
    );
    const after = (
      await sandboxRequest(sandbox, 'GET', `/apis/apps/v1/namespaces/${ns}/deployments/shop`)
    ).json<{ metadata: { uid: string } }>();
    expect(after.metadata.uid).not.toBe(before.metadata.uid);
  });

  it('replaces objects whose change the API server forbids in other words than "immutable"', async () => {
    const ns = await namespace('replace-forbidden');
    const app = copyApp('shop');
    for (const file of ['config.yaml', 'deployment.yaml', 'service.json']) app.remove(file);
    const write = (storage: string, role: string, annotations = '') => {
      app.write(
        'db.yaml',
        `apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\n${annotations}spec:\n  serviceName: db\n  selector: {matchLabels: {app: db}}\n  template:\n    metadata: {labels: {app: db}}\n    spec: {containers: [{name: db, image: postgres:16}]}\n  volumeClaimTemplates:\n    - metadata: {name: data}\n      spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: ${storage}}}}\n`,
      );
      app.write(
        'binding.yaml',
        `apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: readers\n${annotations}roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: ${role}}\nsubjects: [{kind: ServiceAccount, name: default, namespace: ${ns}}]\n`,
      );
    };
    write('1Gi', 'reader');
    expect((await sync(app.dir, 'shop', '-n', ns)).code).toBe(0);
    const reason = (subject: string, json: SyncJson) =>
      json.changes.find((c) => c.subject === subject)?.reason;
    write('2Gi', 'reader');
    const storage = await sync(app.dir, 'shop', '-n', ns);
    expect(storage.code).toBe(1);
    expect(reason(`StatefulSet/${ns}/db`, storage.json)).toMatch(
      /updates to statefulset spec .* are forbidden; set the annotation plumbline\.dev\/replace/,
    );
    write('2Gi', 'auditor');
    const role = await sync(app.dir, 'shop', '-n', ns);
    expect(reason(`RoleBinding/${ns}/readers`, role.json)).toMatch(
      /cannot change roleRef; set the annotation plumbline\.dev\/replace/,
    );
    write('2Gi', 'auditor', '  annotations:\n    plumbline.dev/replace: "true"\n');
    const replaced = await sync(app.dir, 'shop', '-n', ns);
    expect(replaced.code).toBe(0);
    expect(reason(`StatefulSet/${ns}/db`, replaced.json)).toContain('replaced');
    expect(reason(`RoleBinding/${ns}/readers`, replaced.json)).toContain('replaced');
    const binding = await sandboxRequest(
      sandbox,
      'GET',
      `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings/readers`,
    );
    expect(binding.json<{ roleRef: { name: string } }>().roleRef.name).toBe('auditor');
  });

  it('does not run again a Job the cluster removed after it finished (ttlSecondsAfterFinished)', async () => {
    const ns = await namespace('ttl-jobs');
    const app = copyApp('shop');
    for (const file of ['config.yaml', 'deployment.yaml', 'service.json']) app.remove(file);
    const job = (name: string, ttl: string) =>
      `apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: ${name}\nspec:\n${ttl}  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: migrate, image: migrate:1}]\n`;
    app.write('migrate.yaml', job('migrate', '  ttlSecondsAfterFinished: 60\n'));
    app.write('once.yaml', job('once', ''));
    expect((await sync(app.dir, 'shop', '-n', ns)).code).toBe(0);
    // What the TTL-after-finished controller does; and someone deletes the Job without a TTL.
    for (const name of ['migrate', 'once'])
      await sandboxRequest(sandbox, 'DELETE', `/apis/batch/v1/namespaces/${ns}/jobs/${name}`);
    sandbox.resetStats();
    const again = await sync(app.dir, 'shop', '-n', ns);
    expect(again.code).toBe(0);
    expect(again.json.changes.find((c) => c.subject === `Job/${ns}/migrate`)).toMatchObject({
      action: 'unchanged',
      reason: 'finished and removed by its ttlSecondsAfterFinished; rename the Job to run it again',
    });
    expect(again.json.changes.find((c) => c.subject === `Job/${ns}/once`)?.action).toBe('created');
    expect(sandbox.stats().byResource['batch/jobs']?.apply).toBe(1);
    expect((await sync(app.dir, 'shop', '-n', ns, '--wait', '--timeout', '5s')).json.unhealthy).toEqual([]);
    const args = [app.dir, '--app', 'shop', '-n', ns, '--kubeconfig', sandbox.kubeconfigPath];
    expect((await runCli(['drift', ...args])).code).toBe(0);
    expect((await runCli(['diff', ...args])).stdout).toBe('app shop: no changes\n');
  });

  it('counts a claim waiting for its first consumer as healthy (WaitForFirstConsumer)', async () => {
    const ns = await namespace('wffc');
    const app = copyApp('shop');
    for (const file of ['config.yaml', 'deployment.yaml', 'service.json']) app.remove(file);
    app.write(
      'storage.yaml',
      `apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: gp3-wffc\nprovisioner: ebs.csi.aws.com\nvolumeBindingMode: WaitForFirstConsumer\n---\napiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\nspec:\n  storageClassName: gp3-wffc\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 1Gi}}\n`,
    );
    const run = await sync(app.dir, 'shop', '-n', ns, '--allow-cluster-scoped', '--wait', '--timeout', '5s');
    expect(run.json.unhealthy).toEqual([]);
    expect(run.code).toBe(0);
    const claim = await sandboxRequest(
      sandbox,
      'GET',
      `/api/v1/namespaces/${ns}/persistentvolumeclaims/data`,
    );
    expect(claim.json<{ status: { phase: string } }>().status.phase).toBe('Pending');
  });

  it('retries applies through injected 429 (honouring Retry-After) and 500 responses', async () => {
    const app = copyApp('shop');
    app.write(
      'config.yaml',
      readFileSync(`${app.dir}/config.yaml`, 'utf8').replace('color: blue', 'color: green'),
    );
    sandbox.faults.add({
      verb: 'apply',
      path: '/configmaps/shop-config$',
      status: 429,
      retryAfterSeconds: 0,
      times: 2,
    });
    sandbox.faults.add({ verb: 'apply', path: '/configmaps/shop-config$', status: 500, times: 1 });
    sandbox.resetStats();
    const { code, json } = await sync(app.dir, 'shop');
    expect(code).toBe(0);
    expect(json.changes.find((c) => c.subject === 'ConfigMap/default/shop-config')?.action).toBe(
      'configured',
    );
    expect(sandbox.stats().byResource['/configmaps']?.apply).toBeGreaterThanOrEqual(4);
  });

  it('prunes what left Git with --prune, keeps it without, and respects prune: disabled', async () => {
    const app = copyApp('shop');
    await sync(app.dir, 'shop');
    app.remove('service.json');
    const kept = await sync(app.dir, 'shop');
    expect(kept.json.changes.find((c) => c.subject === 'Service/default/shop')).toMatchObject({
      action: 'skipped',
    });
    const pruned = await sync(app.dir, 'shop', '--prune');
    expect(pruned.json.changes.find((c) => c.subject === 'Service/default/shop')?.action).toBe('deleted');
    expect((await sandboxRequest(sandbox, 'GET', '/api/v1/namespaces/default/services/shop')).status).toBe(
      404,
    );
  });

  it('never prunes when an apply failed', async () => {
    const app = copyApp('shop');
    await sync(app.dir, 'shop');
    app.remove('service.json');
    app.write(
      'config.yaml',
      readFileSync(`${app.dir}/config.yaml`, 'utf8').replace('color: blue', 'color: red'),
    );
    sandbox.faults.add({ verb: 'apply', path: '/configmaps/shop-config$', status: 500, times: 10 });
    const { code, json } = await sync(app.dir, 'shop', '--prune');
    sandbox.faults.clear();
    expect(code).toBe(1);
    expect(json.counts.deleted).toBe(0);
    expect((await sandboxRequest(sandbox, 'GET', '/api/v1/namespaces/default/services/shop')).status).toBe(
      200,
    );
  });

  it('waits for health and fails at the timeout naming the unhealthy object', async () => {
    const app = copyApp('shop');
    const ns = await namespace('wait-test');
    const healthy = await sync(app.dir, 'shop', '-n', ns, '--wait', '--timeout', '10s');
    expect(healthy.code).toBe(0);
    const original = readFileSync(`${app.dir}/deployment.yaml`, 'utf8');
    // A new rollout (new image) that the sandbox keeps from ever becoming available.
    app.write(
      'deployment.yaml',
      original
        .replace('shop:1.0.0', 'shop:1.0.1')
        .replace(
          '  labels:\n',
          '  annotations:\n    sandbox.plumbline.dev/fail-rollout: "true"\n  labels:\n',
        ),
    );
    const run = await runCli([
      'sync',
      app.dir,
      '--app',
      'shop',
      '-n',
      ns,
      '--kubeconfig',
      sandbox.kubeconfigPath,
      '--wait',
      '--timeout',
      '1500ms',
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`not healthy: Deployment/${ns}/shop: Degraded`);
  });

  it('renders an app to YAML', async () => {
    const app = copyApp('shop');
    const run = await runCli(['render', app.dir]);
    expect(run.code).toBe(0);
    const kinds = run.stdout.split('---\n').map((d) => (parse(d) as { kind: string }).kind);
    expect(kinds.sort()).toEqual(['ConfigMap', 'Deployment', 'Secret', 'Service']);
  });
});
