import { type Sandbox, startSandbox } from '../../lib/local/sandbox';
import { runCli } from '../helpers/cli';
import {
  commitFiles,
  type GitFixture,
  makeWorkRepo,
  push,
  startGitFixture,
  tempDir,
  type WorkRepo,
} from '../helpers/git';
import { sandboxRequest } from '../helpers/http';

const NS = 'ign';

const PLUMBLINE_YAML = `version: 1
apps:
  - name: gw
    path: apps/gw
    cluster: local
    namespace: ${NS}
    ignoreDifferences:
      # pushgateway's htpasswd: a new random value on every render.
      - {kind: Secret, name: gw-auth, jsonPointers: [/data/auth]}
      # The replicas an autoscaler owns.
      - {group: apps, kind: Deployment, managedFieldsManagers: [kube-controller-manager]}
`;

const b64 = (text: string) => Buffer.from(text).toString('base64');

function manifests(auth: string, other = 'one'): Record<string, string> {
  return {
    'apps/gw/secret.yaml': `apiVersion: v1
kind: Secret
metadata:
  name: gw-auth
data:
  auth: ${b64(auth)}
  other: ${b64(other)}
`,
    'apps/gw/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: gw
spec:
  replicas: 2
  selector:
    matchLabels: {app: gw}
  template:
    metadata:
      labels: {app: gw}
    spec:
      containers:
        - name: gw
          image: registry.example.com/gw:1.0
`,
  };
}

/** ignoreDifferences (#15 item 3): ignored fields are not drift, not a change, and never applied over. */
describe('ignoreDifferences', () => {
  let sandbox: Sandbox;
  let git: GitFixture;
  let url: string;
  let work: WorkRepo;
  const cli = (command: string, ...extra: string[]) =>
    runCli([command, '--repo', url, '--app', 'gw', '--kubeconfig', sandbox.kubeconfigPath, ...extra]);
  const secret = async () =>
    JSON.parse((await sandboxRequest(sandbox, 'GET', `/api/v1/namespaces/${NS}/secrets/gw-auth`)).body) as {
      data: Record<string, string>;
    };
  const replicas = async () =>
    (
      JSON.parse(
        (await sandboxRequest(sandbox, 'GET', `/apis/apps/v1/namespaces/${NS}/deployments/gw`)).body,
      ) as { spec: { replicas: number } }
    ).spec.replicas;
  const writes = () => {
    const v = sandbox.stats().byVerb;
    return (v.POST ?? 0) + (v.PATCH ?? 0) + (v.PUT ?? 0) + (v.DELETE ?? 0);
  };

  beforeAll(async () => {
    process.env.PLUMBLINE_CACHE_DIR = tempDir('ignore-cache');
    sandbox = await startSandbox({ controllerDelayMs: 10 });
    await sandboxRequest(sandbox, 'POST', '/api/v1/namespaces', {
      body: JSON.stringify({ metadata: { name: NS } }),
    });
    git = await startGitFixture();
    url = await git.bare('gw');
    work = await makeWorkRepo(url);
    await commitFiles(work, { 'plumbline.yaml': PLUMBLINE_YAML, ...manifests('random-1') }, 'first render');
    await push(work);
    const first = await cli('sync', '-o', 'json');
    expect(first.code).toBe(0);
    // The autoscaler scales the Deployment, as kube-controller-manager does (an update, not an apply).
    const scaled = await sandboxRequest(
      sandbox,
      'PATCH',
      `/apis/apps/v1/namespaces/${NS}/deployments/gw?fieldManager=kube-controller-manager`,
      { body: JSON.stringify({ spec: { replicas: 5 } }), contentType: 'application/merge-patch+json' },
    );
    expect(scaled.status).toBe(200);
  });
  afterAll(async () => {
    await git.stop();
    await sandbox.stop();
  });

  it('shows no drift and sends no write when only ignored fields differ (a new random value, autoscaled replicas)', async () => {
    await commitFiles(work, manifests('random-2'), 'second render: a new random password');
    await push(work);
    const drift = await cli('drift', '-o', 'json');
    expect(drift.code).toBe(0);
    expect((JSON.parse(drift.stdout) as { drifted: unknown[] }).drifted).toEqual([]);
    const diff = await cli('diff');
    expect(diff.stdout).toBe('app gw: no changes\n');
    sandbox.resetStats();
    const sync = await cli('sync', '-o', 'json');
    expect(sync.code).toBe(0);
    const counts = (JSON.parse(sync.stdout) as { counts: Record<string, number> }).counts;
    expect(counts).toMatchObject({ created: 0, configured: 0, unchanged: 2 });
    expect(writes()).toBe(0);
    expect((await secret()).data.auth).toBe(b64('random-1'));
    expect(await replicas()).toBe(5);
  });

  it('applies a change to another field without moving the ignored ones', async () => {
    await commitFiles(work, manifests('random-3', 'two'), 'third render: a real change');
    await push(work);
    const sync = await cli('sync', '-o', 'json');
    expect(sync.code).toBe(0);
    expect((JSON.parse(sync.stdout) as { counts: Record<string, number> }).counts.configured).toBe(1);
    const data = (await secret()).data;
    expect(data.other).toBe(b64('two'));
    expect(data.auth).toBe(b64('random-1'));
    expect(await replicas()).toBe(5);
    expect((await cli('drift')).code).toBe(0);
  });

  it('reports the autoscaled replicas as drift when no rule names them (the control)', async () => {
    await commitFiles(
      work,
      { 'plumbline.yaml': PLUMBLINE_YAML.split('\n').slice(0, -3).join('\n').concat('\n') },
      'drop the replicas rule',
    );
    await push(work);
    const drift = await cli('drift', '-o', 'json');
    expect(drift.code).toBe(1);
    const drifted = (
      JSON.parse(drift.stdout) as { drifted: { subject: string; fields: { path: string }[] }[] }
    ).drifted;
    expect(drifted.map((d) => [d.subject, d.fields.map((f) => f.path)])).toEqual([
      [`Deployment/${NS}/gw`, ['.spec.replicas']],
    ]);
  });
});
