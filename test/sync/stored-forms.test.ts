import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Sandbox, startSandbox } from '../../lib/local/sandbox';
import { runCli } from '../helpers/cli';
import { sandboxRequest } from '../helpers/http';

interface SyncJson {
  changes: { subject: string; action: string; reason: string | null }[];
  counts: Record<string, number>;
}

/** 150 bytes as base64, wrapped at 76 columns the way the `base64` command wraps it. */
const BYTES = Buffer.from(Array.from({ length: 150 }, (_, i) => i));
const WRAPPED = (BYTES.toString('base64').match(/.{1,76}/g) ?? []).join('\n    ');

const MANIFESTS = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}, creationTimestamp: null}
    spec:
      containers:
        - name: web
          image: registry.example.com/web:1
          resources:
            limits: {cpu: 0.5, memory: 1024Mi}
            requests: {cpu: 1, memory: 0.5Gi}
      volumes:
        - name: cache
          emptyDir: {sizeLimit: 2048Mi}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: ""
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1.5Gi}}
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: quota}
spec:
  hard: {requests.cpu: 2000m, limits.memory: 4096Mi, pods: "10"}
---
apiVersion: v1
kind: Secret
metadata: {name: tls}
type: Opaque
data:
  tls.crt: |
    ${WRAPPED}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: blob}
binaryData:
  blob.bin: |
    ${WRAPPED}
---
apiVersion: v1
kind: LimitRange
metadata: {name: limits}
spec:
  limits:
    - type: Container
      default: {cpu: 0.25, memory: 0.25Gi}
`;

/**
 * The API server stores some values in another form than a manifest writes them: quantities in
 * canonical form (`0.5` → `500m`), base64 bytes without line breaks, a declared null not at all,
 * a defaulted field declared `""` with its default. The sandbox does too. Such a manifest must still re-sync with no write and show no drift.
 */
describe('values the API server stores in another form', () => {
  let sandbox: Sandbox;
  const ns = 'quantities';
  const root = mkdtempSync(join(tmpdir(), 'plumbline-quantities-'));
  const dir = join(root, 'app');
  const cli = (command: string, ...extra: string[]) =>
    runCli([
      command,
      dir,
      '--app',
      'q',
      '-n',
      ns,
      '--kubeconfig',
      sandbox.kubeconfigPath,
      '-o',
      'json',
      ...extra,
    ]);

  beforeAll(async () => {
    sandbox = await startSandbox({ controllerDelayMs: 10 });
    await sandboxRequest(sandbox, 'POST', '/api/v1/namespaces', {
      body: JSON.stringify({ metadata: { name: ns } }),
    });
    mkdirSync(dir);
    writeFileSync(join(dir, 'app.yaml'), MANIFESTS);
    const first = await cli('sync');
    expect(first.code).toBe(0);
    expect((JSON.parse(first.stdout) as SyncJson).counts.created).toBe(7);
  });
  afterAll(async () => {
    await sandbox.stop();
  });

  it('stores quantities in canonical form', async () => {
    const deployment = JSON.parse(
      (await sandboxRequest(sandbox, 'GET', `/apis/apps/v1/namespaces/${ns}/deployments/web`)).body,
    ) as { spec: { template: { spec: { containers: { resources: unknown }[]; volumes: unknown[] } } } };
    expect(deployment.spec.template.spec.containers[0]?.resources).toEqual({
      limits: { cpu: '500m', memory: '1Gi' },
      requests: { cpu: '1', memory: '512Mi' },
    });
    expect(deployment.spec.template.spec.volumes).toEqual([
      { name: 'cache', emptyDir: { sizeLimit: '2Gi' } },
    ]);
    const quota = JSON.parse(
      (await sandboxRequest(sandbox, 'GET', `/api/v1/namespaces/${ns}/resourcequotas/quota`)).body,
    );
    expect(quota.spec.hard).toEqual({ 'requests.cpu': '2', 'limits.memory': '4Gi', pods: '10' });
  });

  it('stores base64 bytes on one line', async () => {
    const secret = JSON.parse(
      (await sandboxRequest(sandbox, 'GET', `/api/v1/namespaces/${ns}/secrets/tls`)).body,
    );
    expect(secret.data['tls.crt']).toBe(BYTES.toString('base64'));
    const blob = JSON.parse(
      (await sandboxRequest(sandbox, 'GET', `/api/v1/namespaces/${ns}/configmaps/blob`)).body,
    );
    expect(blob.binaryData['blob.bin']).toBe(BYTES.toString('base64'));
  });

  it('re-sync with no write and show no drift', async () => {
    sandbox.resetStats();
    const again = await cli('sync');
    expect(again.code).toBe(0);
    expect((JSON.parse(again.stdout) as SyncJson).counts).toMatchObject({ unchanged: 7, configured: 0 });
    expect(sandbox.stats().byVerb.apply ?? 0).toBe(0);
    const drift = await cli('drift');
    expect(drift.code).toBe(0);
    expect(JSON.parse(drift.stdout).drifted).toEqual([]);
  });

  it('drift when the value changes out of band', async () => {
    await sandboxRequest(
      sandbox,
      'PATCH',
      `/apis/apps/v1/namespaces/${ns}/deployments/web?fieldManager=kubectl-edit`,
      {
        body: JSON.stringify({
          spec: {
            template: { spec: { containers: [{ name: 'web', resources: { limits: { cpu: '600m' } } }] } },
          },
        }),
        contentType: 'application/strategic-merge-patch+json',
      },
    );
    const drift = await cli('drift');
    expect(drift.code).toBe(1);
    expect(JSON.parse(drift.stdout).drifted).toEqual([
      expect.objectContaining({
        subject: `Deployment/${ns}/web`,
        fields: [
          {
            path: '.spec.template.spec.containers[name=web].resources.limits.cpu',
            desired: 0.5,
            live: '600m',
          },
        ],
      }),
    ]);
    expect((await cli('sync')).code).toBe(0);
    expect((await cli('drift')).code).toBe(0);
  });

  it('bytes that are no base64 fail that object with the server’s message', async () => {
    writeFileSync(join(dir, 'app.yaml'), MANIFESTS.replace('tls.crt: |', 'tls.crt: |\n    not base64!'));
    const bad = await cli('sync');
    expect(bad.code).toBe(1);
    const tls = (JSON.parse(bad.stdout) as SyncJson).changes.find((c) => c.subject === `Secret/${ns}/tls`);
    expect(tls).toMatchObject({ action: 'failed' });
    expect(tls?.reason).toContain('illegal base64 data at input byte 3');
  });

  it('a value that is no quantity fails that object with the server’s message', async () => {
    writeFileSync(join(dir, 'app.yaml'), MANIFESTS.replace('cpu: 0.5,', 'cpu: lots,'));
    const bad = await cli('sync');
    expect(bad.code).toBe(1);
    const web = (JSON.parse(bad.stdout) as SyncJson).changes.find(
      (c) => c.subject === `Deployment/${ns}/web`,
    );
    expect(web).toMatchObject({ action: 'failed' });
    expect(web?.reason).toContain('quantities must match the regular expression');
  });
});
