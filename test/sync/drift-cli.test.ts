import { type Sandbox, startSandbox } from '../../lib/local/sandbox';
import { copyApp } from '../helpers/app-dir';
import { runCli } from '../helpers/cli';
import { sandboxRequest } from '../helpers/http';

interface DriftJson {
  app: string;
  drifted: {
    id: string;
    subject: string;
    reason: string;
    fields: { path: string; desired: unknown; live: unknown }[];
  }[];
  orphans: { id: string; subject: string }[];
}

describe('plumbline drift and diff against the sandbox', () => {
  let sandbox: Sandbox;
  const ns = 'drift-test';
  const app = copyApp('shop');
  const cli = (command: string, ...extra: string[]) =>
    runCli([command, app.dir, '--app', 'shop', '-n', ns, '--kubeconfig', sandbox.kubeconfigPath, ...extra]);
  const patch = (path: string, body: unknown, manager: string) =>
    sandboxRequest(sandbox, 'PATCH', `${path}?fieldManager=${manager}`, {
      body: JSON.stringify(body),
      contentType: 'application/merge-patch+json',
    });

  beforeAll(async () => {
    sandbox = await startSandbox({ controllerDelayMs: 10 });
    await sandboxRequest(sandbox, 'POST', '/api/v1/namespaces', {
      body: JSON.stringify({ metadata: { name: ns } }),
    });
    expect((await cli('sync')).code).toBe(0);
  });
  afterAll(async () => {
    await sandbox.stop();
  });

  it('finds no drift right after a sync, and diff exits 0', async () => {
    expect((await cli('drift')).code).toBe(0);
    const diff = await cli('diff');
    expect(diff.code).toBe(0);
    expect(diff.stdout).toBe('app shop: no changes\n');
  });

  it('reports out-of-band changes, a missing object and an orphan with one list per kind and namespace', async () => {
    await patch(`/apis/apps/v1/namespaces/${ns}/deployments/shop`, { spec: { replicas: 7 } }, 'kubectl-edit');
    await patch(
      `/api/v1/namespaces/${ns}/configmaps/shop-config`,
      { data: { color: 'pink', extra: 'added by someone' } },
      'kubectl-patch',
    );
    await patch(
      `/api/v1/namespaces/${ns}/secrets/shop-secret`,
      { data: { password: Buffer.from('changed-by-hand').toString('base64') } },
      'kubectl-patch',
    );
    await sandboxRequest(sandbox, 'DELETE', `/api/v1/namespaces/${ns}/services/shop`);
    await sandboxRequest(sandbox, 'POST', `/api/v1/namespaces/${ns}/configmaps`, {
      body: JSON.stringify({
        metadata: { name: 'stray', labels: { 'plumbline.dev/app': 'shop' } },
        data: {},
      }),
    });
    sandbox.resetStats();
    const run = await cli('drift', '-o', 'json');
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as DriftJson;
    const bySubject = Object.fromEntries(report.drifted.map((d) => [d.subject, d]));
    expect(bySubject[`Deployment/${ns}/shop`]?.fields).toEqual([
      { path: '.spec.replicas', desired: 2, live: 7 },
    ]);
    // Fields someone added (data.extra) are not drift; the changed declared one is.
    expect(bySubject[`ConfigMap/${ns}/shop-config`]?.fields).toEqual([
      { path: '.data.color', desired: 'blue', live: 'pink' },
    ]);
    expect(bySubject[`Service/${ns}/shop`]).toMatchObject({ reason: 'missing' });
    expect(bySubject[`Secret/${ns}/shop-secret`]?.reason).toBe('changed');
    expect(report.orphans.map((o) => o.subject)).toEqual([`ConfigMap/${ns}/stray`]);
    expect(Object.keys(bySubject)).toHaveLength(4);
    // 4 kinds in 1 namespace: 4 lists, the inventory, and discovery of core/v1 and apps/v1.
    expect(sandbox.stats().total).toBeLessThanOrEqual(4 + 5);
    expect(sandbox.stats().byVerb.get ?? 0).toBeLessThanOrEqual(1);
  });

  it('never shows a Secret value in drift or diff output', async () => {
    const drift = await cli('drift');
    const diff = await cli('diff');
    for (const text of [
      drift.stdout,
      diff.stdout,
      JSON.stringify((await cli('drift', '-o', 'json')).stdout),
    ]) {
      expect(text).not.toContain('s3cr3t-hunter-42');
      expect(text).not.toContain('changed-by-hand');
      expect(text).not.toContain(Buffer.from('changed-by-hand').toString('base64'));
    }
    expect(diff.stdout).toContain('*** (changed)');
    expect(diff.code).toBe(1);
  });

  it('heals the drift with a sync, after which only the orphan remains', async () => {
    expect((await cli('sync')).code).toBe(0);
    const report = JSON.parse((await cli('drift', '-o', 'json')).stdout) as DriftJson;
    expect(report.drifted).toEqual([]);
    expect(report.orphans).toHaveLength(1);
  });
});
