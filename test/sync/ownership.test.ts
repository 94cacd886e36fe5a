import { readFileSync } from 'node:fs';
import { type Sandbox, startSandbox } from '../../lib/local/sandbox';
import { copyApp } from '../helpers/app-dir';
import { runCli } from '../helpers/cli';
import { sandboxRequest } from '../helpers/http';

interface ChangeJson {
  subject: string;
  action: string;
  reason?: string | null;
  conflicts?: string[];
  owner?: string;
}
interface SyncJson {
  changes: ChangeJson[];
  counts: Record<string, number>;
}
interface LiveConfigMap {
  metadata: {
    labels: Record<string, string>;
    managedFields: { manager: string; operation: string }[];
  };
  data: Record<string, string>;
}

const HELLO = 'ConfigMap/own/hello-config';
const ADOPT_FROM_A = `  annotations:\n    plumbline.dev/adopt: team-a\n`;

/** Finding 1 of issue 14, end to end through the CLI: two apps declare one ConfigMap. */
describe('app ownership of objects (plumbline sync, diff, drift)', () => {
  let sandbox: Sandbox;
  const ns = 'own';
  const a = copyApp('team-a');
  const b = copyApp('team-b');
  const cli = async (command: string, app: 'team-a' | 'team-b', ...extra: string[]) =>
    runCli([
      command,
      (app === 'team-a' ? a : b).dir,
      '--app',
      app,
      '-n',
      ns,
      '--kubeconfig',
      sandbox.kubeconfigPath,
      ...extra,
    ]);
  const sync = async (app: 'team-a' | 'team-b', ...extra: string[]) => {
    const run = await cli('sync', app, '-o', 'json', ...extra);
    return { code: run.code, json: JSON.parse(run.stdout) as SyncJson, stderr: run.stderr };
  };
  const change = (json: SyncJson, subject: string) => json.changes.find((c) => c.subject === subject);
  const hello = async (): Promise<LiveConfigMap> =>
    (await sandboxRequest(sandbox, 'GET', `/api/v1/namespaces/${ns}/configmaps/hello-config`)).json();
  const writes = (): number => {
    const v = sandbox.stats().byVerb;
    return (v.apply ?? 0) + (v.create ?? 0) + (v.update ?? 0) + (v.patch ?? 0) + (v.delete ?? 0);
  };
  const bWith = (transform: (text: string) => string) =>
    b.write('config.yaml', transform(readFileSync(`${b.dir}/config.yaml`, 'utf8')));

  beforeAll(async () => {
    sandbox = await startSandbox({ controllerDelayMs: 10 });
    await sandboxRequest(sandbox, 'POST', '/api/v1/namespaces', {
      body: JSON.stringify({ metadata: { name: ns } }),
    });
  });
  afterAll(async () => {
    await sandbox.stop();
  });

  it("applies each app with its own field manager, reading others' objects only where one is missing", async () => {
    sandbox.resetStats();
    const cold = await sync('team-a');
    expect(cold.code).toBe(0);
    // One list of the app's ConfigMaps, and one of other apps' ConfigMaps because hello-config was missing.
    expect(sandbox.stats().byResource['/configmaps']?.list).toBe(2);
    const live = await hello();
    expect(live.metadata.labels['plumbline.dev/app']).toBe('team-a');
    expect(live.metadata.managedFields.filter((m) => m.operation === 'Apply').map((m) => m.manager)).toEqual([
      'plumbline-team-a',
    ]);
    sandbox.resetStats();
    const again = await sync('team-a');
    expect(again.json.counts).toMatchObject({ unchanged: 1 });
    expect(sandbox.stats().byResource['/configmaps']?.list).toBe(1);
    expect(writes()).toBe(0);
  });

  it("refuses B's sync of A's object, names A and the opt-in, and leaves it as A applied it", async () => {
    const refused = await sync('team-b');
    expect(refused.code).toBe(1);
    expect(change(refused.json, HELLO)).toMatchObject({
      action: 'failed',
      owner: 'team-a',
      reason: expect.stringMatching(/owned by app team-a;.*plumbline\.dev\/adopt: "team-a"/),
    });
    const live = await hello();
    expect(live.metadata.labels['plumbline.dev/app']).toBe('team-a');
    expect(live.data).toEqual({ greeting: 'hello' });
    expect(live.metadata.managedFields.map((m) => m.manager)).not.toContain('plumbline-team-b');
    // B's diff and dry run say the same, and write nothing.
    sandbox.resetStats();
    const diff = await cli('diff', 'team-b');
    expect(diff.code).toBe(1);
    expect(diff.stdout).toContain(`refuse ${HELLO}: owned by app team-a`);
    const dry = await sync('team-b', '--dry-run');
    expect(change(dry.json, HELLO)?.action).toBe('failed');
    expect(writes()).toBe(0);
  });

  it("never prunes A's object when B stops declaring it", async () => {
    bWith((text) => text.replace(/^apiVersion[\s\S]*?---\n/m, ''));
    const pruned = await sync('team-b', '--prune');
    expect(pruned.code).toBe(0);
    expect(pruned.json.changes.map((c) => c.subject)).not.toContain(HELLO);
    expect((await hello()).data).toEqual({ greeting: 'hello' });
    expect((await cli('drift', 'team-a')).code).toBe(0);
  });

  it('refuses an adopt annotation that names another app than the owner', async () => {
    b.write('config.yaml', readFileSync(`${a.dir}/config.yaml`, 'utf8'));
    bWith((text) =>
      text.replace(
        '  name: hello-config\n',
        `  name: hello-config\n${ADOPT_FROM_A.replace('team-a', 'team-c')}`,
      ),
    );
    const refused = await sync('team-b');
    expect(change(refused.json, HELLO)?.reason).toContain('owned by app team-a, not team-c');
  });

  it('reports the conflict between the two apps’ field managers when B adopts without force', async () => {
    bWith((text) => text.replace('team-c', 'team-a').replace('greeting: hello', 'greeting: bonjour'));
    const refused = await sync('team-b', '--no-force');
    expect(refused.code).toBe(1);
    expect(change(refused.json, HELLO)?.conflicts?.join()).toMatch(/\.data\.greeting.*plumbline-team-a/);
    expect((await hello()).metadata.labels['plumbline.dev/app']).toBe('team-a');
  });

  it('lets B take the object over when its manifest names A in plumbline.dev/adopt', async () => {
    const taken = await sync('team-b');
    expect(taken.code).toBe(0);
    expect(change(taken.json, HELLO)).toMatchObject({
      action: 'configured',
      reason: expect.stringContaining('took ownership'),
    });
    const live = await hello();
    expect(live.metadata.labels['plumbline.dev/app']).toBe('team-b');
    expect(live.data).toEqual({ greeting: 'bonjour' });
  });

  it("has A's drift, diff and dry run agree that B now owns it, naming B", async () => {
    const drift = await cli('drift', 'team-a', '-o', 'json');
    expect(drift.code).toBe(1);
    const report = JSON.parse(drift.stdout) as { drifted: { subject: string; refusal?: string }[] };
    expect(report.drifted).toEqual([
      expect.objectContaining({ subject: HELLO, refusal: expect.stringContaining('owned by app team-b') }),
    ]);
    const diff = await cli('diff', 'team-a');
    expect(diff.code).toBe(1);
    expect(diff.stdout).toContain(`refuse ${HELLO}: owned by app team-b`);
    sandbox.resetStats();
    const dry = await sync('team-a', '--dry-run');
    expect(dry.code).toBe(1);
    expect(change(dry.json, HELLO)).toMatchObject({
      action: 'failed',
      reason: expect.stringContaining('owned by app team-b'),
    });
    expect(writes()).toBe(0);
  });

  it('takes over an object that exists and no app owns, without an annotation', async () => {
    const created = await sandboxRequest(sandbox, 'POST', `/api/v1/namespaces/${ns}/configmaps`, {
      body: JSON.stringify({ metadata: { name: 'unowned' }, data: { mode: 'slow' } }),
    });
    expect(created.status).toBe(201);
    b.write(
      'unowned.yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: unowned\ndata:\n  mode: fast\n',
    );
    const taken = await sync('team-b');
    expect(taken.code).toBe(0);
    expect(change(taken.json, 'ConfigMap/own/unowned')?.action).toBe('configured');
    const live = (
      await sandboxRequest(sandbox, 'GET', `/api/v1/namespaces/${ns}/configmaps/unowned`)
    ).json<LiveConfigMap>();
    expect(live.metadata.labels['plumbline.dev/app']).toBe('team-b');
    expect(live.data).toEqual({ mode: 'fast' });
  });

  it('refuses an adopt annotation that is not an app name before any request (exit 2)', async () => {
    bWith((text) => text.replace('plumbline.dev/adopt: team-a', 'plumbline.dev/adopt: Team_A'));
    sandbox.resetStats();
    const bad = await cli('sync', 'team-b');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: .*plumbline\.dev\/adopt must name an app/);
    expect(writes()).toBe(0);
  });
});
