import { type Sandbox, startSandbox } from '../../lib/local/sandbox';
import { copyApp } from '../helpers/app-dir';
import { runCli } from '../helpers/cli';
import { sandboxRequest } from '../helpers/http';

interface SyncJson {
  changes: { subject: string; action: string; reason?: string | null; conflicts?: string[] }[];
}
interface LiveConfigMap {
  metadata: { managedFields: { manager: string; operation: string; fieldsV1: Record<string, unknown> }[] };
  data: Record<string, string>;
}

/**
 * Objects that the engine applied before each app had its own field manager carry the shared
 * manager `plumbline`; the next sync hands them to `plumbline-<app>` (issue 14, Ownership).
 */
describe('migration from the shared field manager (plumbline sync)', () => {
  let sandbox: Sandbox;
  const app = copyApp('team-a');
  let ns = '';
  const path = () => `/api/v1/namespaces/${ns}/configmaps/hello-config`;
  const cli = (command: string, ...extra: string[]) =>
    runCli([command, app.dir, '--app', 'team-a', '-n', ns, '--kubeconfig', sandbox.kubeconfigPath, ...extra]);
  const sync = async (...extra: string[]) => {
    const run = await cli('sync', '-o', 'json', ...extra);
    const json = JSON.parse(run.stdout) as SyncJson;
    return { code: run.code, change: json.changes.find((c) => c.subject.endsWith('/hello-config')) };
  };
  const live = async (): Promise<LiveConfigMap> => (await sandboxRequest(sandbox, 'GET', path())).json();
  const managers = async () =>
    (await live()).metadata.managedFields.map((m) => `${m.manager}/${m.operation}`);
  /** Applies hello-config as the engine did before: field manager `plumbline`, the app's labels. */
  const applyAsOldEngine = async (data: Record<string, string>, appLabel = 'team-a') => {
    const object = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'hello-config',
        namespace: ns,
        labels: { 'app.kubernetes.io/managed-by': 'plumbline', 'plumbline.dev/app': appLabel },
      },
      data,
    };
    const res = await sandboxRequest(sandbox, 'PATCH', `${path()}?fieldManager=plumbline&force=true`, {
      body: JSON.stringify(object),
      contentType: 'application/apply-patch+yaml',
    });
    expect(res.status).toBeLessThan(300);
  };
  const setGit = (data: Record<string, string>) =>
    app.write(
      'config.yaml',
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: hello-config\ndata:\n${Object.entries(data)
        .map(([k, v]) => `  ${k}: ${v}\n`)
        .join('')}`,
    );

  let count = 0;
  beforeAll(async () => {
    sandbox = await startSandbox({ controllerDelayMs: 10 });
  });
  beforeEach(async () => {
    ns = `migrate-${++count}`;
    await sandboxRequest(sandbox, 'POST', '/api/v1/namespaces', {
      body: JSON.stringify({ metadata: { name: ns } }),
    });
  });
  afterAll(async () => {
    await sandbox.stop();
  });

  it('moves the object to the app’s manager without a conflict, and a field later dropped from Git goes', async () => {
    await applyAsOldEngine({ greeting: 'hello', color: 'blue' });
    setGit({ greeting: 'hello', color: 'blue' });
    const moved = await sync();
    expect(moved.code).toBe(0);
    expect(moved.change).toMatchObject({ action: 'unchanged', reason: expect.stringContaining('moved') });
    expect(moved.change?.conflicts).toBeUndefined();
    expect(await managers()).toEqual(['plumbline-team-a/Apply']);

    setGit({ greeting: 'hello' });
    const dropped = await sync();
    expect(dropped.code).toBe(0);
    expect(dropped.change?.action).toBe('configured');
    expect(dropped.change?.conflicts).toBeUndefined();
    expect((await live()).data).toEqual({ greeting: 'hello' });
    expect(await managers()).toEqual(['plumbline-team-a/Apply']);
  });

  it('moves, then applies a change in the same sync, taking no field from anyone', async () => {
    await applyAsOldEngine({ greeting: 'hello', color: 'blue' });
    setGit({ greeting: 'hi' });
    const changed = await sync();
    expect(changed.code).toBe(0);
    expect(changed.change).toMatchObject({ action: 'configured' });
    expect(changed.change?.reason ?? '').not.toContain('took ownership');
    expect(changed.change?.conflicts).toBeUndefined();
    expect((await live()).data).toEqual({ greeting: 'hi' });
    expect(await managers()).toEqual(['plumbline-team-a/Apply']);
  });

  it('has diff, drift and a dry run agree before the move, writing nothing', async () => {
    await applyAsOldEngine({ greeting: 'hello', color: 'blue' });
    setGit({ greeting: 'hi' });
    const before = (await live()) as LiveConfigMap & { metadata: { resourceVersion: string } };
    const diff = await cli('diff');
    expect(diff.code).toBe(1);
    expect(diff.stdout).toContain('.data.greeting: hello -> hi');
    expect(diff.stdout).toContain('.data.color: removed (no longer in Git)');
    const drift = await cli('drift');
    expect(drift.code).toBe(1);
    expect(drift.stdout).toContain('.data.greeting: hello -> hi');
    const dry = await sync('--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.change?.action).toBe('configured');
    // As the sync would: the move, then an apply that conflicts with no one.
    expect(dry.change?.conflicts).toBeUndefined();
    expect(await live()).toEqual(before);
  });

  it('leaves the shared manager on an object labelled for another app', async () => {
    await applyAsOldEngine({ greeting: 'hello' }, 'team-b');
    setGit({ greeting: 'hello' });
    const refused = await sync();
    expect(refused.code).toBe(1);
    expect(refused.change?.reason).toContain('owned by app team-b');
    expect(await managers()).toEqual(['plumbline/Apply']);
  });
});
