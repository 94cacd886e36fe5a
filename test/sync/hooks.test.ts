import { type Sandbox, startSandbox } from '../../lib/local/sandbox';
import type { StoreEvent } from '../../lib/local/sandbox/store';
import { copyApp } from '../helpers/app-dir';
import { runCli } from '../helpers/cli';
import { sandboxRequest } from '../helpers/http';

interface HookJson {
  changes: {
    id: string;
    subject: string;
    action: string;
    reason: string | null;
    hook?: { phase: string; durationMs: number };
  }[];
  counts: Record<string, number>;
}

describe('hooks and waves (sandbox)', () => {
  let sandbox: Sandbox;
  /** `ADDED Kind/name` and `DELETED Kind/name`, in the order the sandbox stored them (a watch). */
  let events: string[] = [];
  const listener = (event: StoreEvent): void => {
    if (event.type === 'MODIFIED') return;
    const object = event.object as { kind?: string; metadata?: { name?: string } };
    const name = object.metadata?.name ?? '';
    if (name.startsWith('plumbline-inventory-')) return;
    events.push(`${event.type} ${object.kind}/${name}`);
  };
  beforeAll(async () => {
    sandbox = await startSandbox({ controllerDelayMs: 5 });
    sandbox.core.store.events.on('event', listener);
  });
  afterAll(async () => {
    sandbox.core.store.events.off('event', listener);
    await sandbox.stop();
  });
  beforeEach(() => {
    events = [];
  });
  const namespace = async (name: string): Promise<void> => {
    const made = await sandboxRequest(sandbox, 'POST', '/api/v1/namespaces', {
      body: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }),
    });
    expect(made.status).toBe(201);
    events = [];
  };

  /** Each app in its own namespace, named after it, so no test depends on another's objects. */
  const sync = async (dir: string, app: string, ...extra: string[]) => {
    const run = await runCli([
      'sync',
      dir,
      '--app',
      app,
      '-n',
      app,
      '--kubeconfig',
      sandbox.kubeconfigPath,
      '--timeout',
      '20s',
      '-o',
      'json',
      ...extra,
    ]);
    return { ...run, json: run.stdout ? (JSON.parse(run.stdout) as HookJson) : undefined };
  };
  const drift = (dir: string, app: string, ...extra: string[]) =>
    runCli(['drift', dir, '--app', app, '-n', app, '--kubeconfig', sandbox.kubeconfigPath, ...extra]);
  const inventoryText = async (app: string): Promise<string> =>
    JSON.stringify(
      (
        await sandboxRequest(
          sandbox,
          'GET',
          `/api/v1/namespaces/${app}/configmaps/plumbline-inventory-${app}`,
        )
      ).json(),
    );
  /** Generated names end in five random characters: `Job/banner-on-x7k2p` reads `Job/banner-on-*`. */
  const stable = (list: string[]): string[] => list.map((e) => e.replace(/-[a-z0-9]{5}$/, '-*'));
  const added = (): string[] => stable(events.filter((e) => e.startsWith('ADDED ')).map((e) => e.slice(6)));

  it('syncs an Argo CD sync-waves app wave by wave, Sync hooks in their wave and PostSync last', async () => {
    const app = copyApp('argo-sync-waves');
    await namespace('waves');
    const run = await sync(app.dir, 'waves');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(added()).toEqual([
      'Service/api',
      'ReplicaSet/api',
      'Job/banner-on-*',
      'Service/web',
      'ReplicaSet/web',
      'ConfigMap/web-features',
      'Job/banner-off',
      'Job/notify-done-*',
    ]);
    const hooks = run.json?.changes.filter((c) => c.hook) ?? [];
    expect(hooks.map((c) => [c.subject.replace(/-[a-z0-9]{5}$/, '-*'), c.hook?.phase, c.action])).toEqual([
      ['Job/waves/banner-on-*', 'Sync', 'created'],
      ['Job/waves/banner-off', 'Sync', 'created'],
      ['Job/waves/notify-done-*', 'PostSync', 'created'],
    ]);
    const inventory = await inventoryText('waves');
    expect(inventory).toContain('ReplicaSet/waves/web');
    for (const hook of ['banner-on', 'banner-off', 'notify-done']) expect(inventory).not.toContain(hook);
    const check = await drift(app.dir, 'waves');
    expect(check.stdout).not.toMatch(/banner|notify/);
    expect(check.code).toBe(0);
  });

  it('runs each hook once per sync: a named hook is deleted and recreated, generateName makes a new one', async () => {
    const app = copyApp('argo-sync-waves');
    await namespace('waves-again');
    expect((await sync(app.dir, 'waves-again')).code).toBe(0);
    events = [];
    expect((await sync(app.dir, 'waves-again')).code).toBe(0);
    expect(stable(events)).toEqual([
      'ADDED Job/banner-on-*',
      'DELETED Job/banner-off',
      'ADDED Job/banner-off',
      'ADDED Job/notify-done-*',
    ]);
    // Hooks are not the app's objects: a prune never deletes the previous runs.
    events = [];
    const pruned = await sync(app.dir, 'waves-again', '--prune');
    expect(pruned.json?.counts.deleted).toBe(0);
    expect(events.filter((e) => e.startsWith('DELETED ') && !e.includes('banner-off'))).toEqual([]);
  });

  it('runs PreSync hooks before any apply and PostSync after, honouring HookSucceeded and BeforeHookCreation', async () => {
    const app = copyApp('argo-pre-post-sync');
    await namespace('guestbook');
    const run = await sync(app.dir, 'guestbook');
    expect(run.code).toBe(0);
    expect(stable(events)).toEqual([
      'ADDED Job/migrate',
      'DELETED Job/migrate',
      'ADDED Service/guestbook',
      'ADDED Deployment/guestbook',
      'ADDED Job/smoke-test',
    ]);
    // HookSucceeded removed the PreSync Job; the PostSync one stays until the next sync replaces it.
    expect(
      (await sandboxRequest(sandbox, 'GET', '/apis/batch/v1/namespaces/guestbook/jobs/migrate')).status,
    ).toBe(404);
    expect(
      (await sandboxRequest(sandbox, 'GET', '/apis/batch/v1/namespaces/guestbook/jobs/smoke-test')).status,
    ).toBe(200);
    events = [];
    expect((await sync(app.dir, 'guestbook')).code).toBe(0);
    expect(stable(events)).toEqual([
      'ADDED Job/migrate',
      'DELETED Job/migrate',
      'DELETED Job/smoke-test',
      'ADDED Job/smoke-test',
    ]);
    expect((await drift(app.dir, 'guestbook')).code).toBe(0);
  });

  it('stops at a failed PreSync hook: no object of the app is written, SyncFail hooks run', async () => {
    const app = copyApp('argo-pre-post-sync');
    await namespace('fails-early');
    const hooks = (await import('node:fs')).readFileSync(`${app.dir}/hooks.yaml`, 'utf8');
    app.write(
      'hooks.yaml',
      hooks.replace(
        '    argocd.argoproj.io/hook-delete-policy: HookSucceeded\nspec:\n  backoffLimit: 2',
        '    argocd.argoproj.io/hook-delete-policy: HookSucceeded\n    sandbox.plumbline.dev/fail-rollout: "true"\nspec:\n  backoffLimit: 2',
      ),
    );
    sandbox.resetStats();
    const run = await sync(app.dir, 'fails-early');
    expect(run.code).toBe(1);
    expect(stable(events)).toEqual([
      'ADDED Job/migrate',
      'ADDED Pod/page-oncall-*',
      'DELETED Pod/page-oncall-*',
    ]);
    const stats = sandbox.stats().byResource;
    for (const resource of ['apps/deployments', '/services', '/configmaps'])
      expect(Object.keys(stats[resource] ?? {}).filter((verb) => verb !== 'list' && verb !== 'get')).toEqual(
        [],
      );
    const bySubject = Object.fromEntries(
      (run.json?.changes ?? []).map((c) => [c.subject.replace(/-[a-z0-9]{5}$/, '-*'), c]),
    );
    expect(bySubject['Job/fails-early/migrate']).toMatchObject({
      action: 'failed',
      hook: { phase: 'PreSync' },
    });
    expect(bySubject['Deployment/fails-early/guestbook']).toMatchObject({
      action: 'skipped',
      reason: 'not applied: a PreSync hook failed',
    });
    expect(bySubject['Job/fails-early/smoke-test']).toMatchObject({
      action: 'skipped',
      hook: { phase: 'PostSync' },
    });
    expect(bySubject['Pod/fails-early/page-oncall-*']).toMatchObject({
      action: 'created',
      hook: { phase: 'SyncFail' },
    });
    // HookFailed was not asked for: the failed Job stays for someone to read its logs.
    expect(
      (await sandboxRequest(sandbox, 'GET', '/apis/batch/v1/namespaces/fails-early/jobs/migrate')).status,
    ).toBe(200);
  });

  it('runs a Helm chart’s hooks as Argo CD maps them: pre-install first by weight, post-install last, tests never', async () => {
    const app = copyApp('helm-hooks');
    await namespace('charted');
    const run = await sync(app.dir, 'charted', '--renderer', 'helm');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(stable(events)).toEqual([
      'ADDED ConfigMap/charted-db-settings',
      'ADDED Job/charted-db-init',
      'DELETED Job/charted-db-init',
      'ADDED Deployment/charted-web',
      'ADDED Service/charted-web',
      'ADDED Job/charted-warmup-*',
    ]);
    const skipped = (run.json?.changes ?? []).filter((c) => c.action === 'skipped');
    expect(skipped.map((c) => [c.subject.replace(/-[a-z0-9]{5}$/, '-*'), c.reason])).toEqual(
      expect.arrayContaining([
        ['Pod/charted-test-*', expect.stringContaining('helm test')],
        ['ConfigMap/charted-cleanup', expect.stringContaining('deleted')],
      ]),
    );
    expect(await inventoryText('charted')).not.toMatch(/db-settings|db-init|warmup|test-/);
    expect((await drift(app.dir, 'charted', '--renderer', 'helm')).code).toBe(0);
    events = [];
    // A re-render names the test Pod anew: still never applied, and no drift.
    expect((await sync(app.dir, 'charted', '--renderer', 'helm')).code).toBe(0);
    expect(stable(events)).toEqual([
      'DELETED ConfigMap/charted-db-settings',
      'ADDED ConfigMap/charted-db-settings',
      'ADDED Job/charted-db-init',
      'DELETED Job/charted-db-init',
      'ADDED Job/charted-warmup-*',
    ]);
  });
});
