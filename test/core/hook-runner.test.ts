import type { KubeObject } from '../../lib/core/manifests';
import { planPhases } from '../../lib/core/order';
import { Redactor } from '../../lib/core/redact';
import type { DesiredObject } from '../../lib/core/sync';
import { runHookPhase } from '../../lib/core/sync/hooks';
import type { ClusterPort, ResourceInfo } from '../../lib/core/sync/ports';

const JOBS: ResourceInfo = { group: 'batch', version: 'v1', kind: 'Job', plural: 'jobs', namespaced: true };

function job(name: string, annotations: Record<string, string>): DesiredObject {
  const object: KubeObject = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: 'shop', annotations },
  };
  return {
    object,
    id: { group: 'batch', kind: 'Job', namespace: 'shop', name },
    namespaced: true,
    source: undefined,
  };
}

/** A cluster whose Jobs end as `ends` says (undefined: they never end); it records every write. */
function fakeCluster(ends: (name: string) => 'Complete' | 'Failed' | undefined) {
  const live = new Map<string, KubeObject>();
  const calls: string[] = [];
  const status = (name: string) => {
    const end = ends(name);
    return end ? { conditions: [{ type: end, status: 'True' }] } : {};
  };
  const port: Partial<ClusterPort> = {
    resource: async () => JOBS,
    apply: async (_r, object) => {
      calls.push(`apply ${object.metadata.name}`);
      const stored = { ...object, status: status(object.metadata.name) };
      const created = !live.has(object.metadata.name);
      live.set(object.metadata.name, stored);
      return { object: stored, created };
    },
    get: async (_r, _ns, name) => live.get(name),
    remove: async (_r, _ns, name) => {
      calls.push(`remove ${name}`);
      return live.delete(name);
    },
  };
  return { port: port as ClusterPort, calls, live };
}

function context(cluster: ClusterPort, clock = { t: 0 }) {
  return {
    app: 'shop',
    cluster,
    redactor: new Redactor(),
    timeoutMs: 1000,
    pollMs: 100,
    concurrency: 4,
    sleep: async (ms: number) => {
      clock.t += ms;
    },
    now: () => clock.t,
  };
}

describe('runHookPhase', () => {
  it('deletes a failed hook with HookFailed and does not run the later waves', async () => {
    const { port, calls, live } = fakeCluster((name) => (name === 'first' ? 'Failed' : 'Complete'));
    const plan = planPhases(
      [
        job('first', {
          'argocd.argoproj.io/hook': 'PreSync',
          'argocd.argoproj.io/hook-delete-policy': 'HookFailed',
        }),
        job('second', { 'argocd.argoproj.io/hook': 'PreSync', 'argocd.argoproj.io/sync-wave': '1' }),
      ],
      (d) => d.object,
    );
    const ran = await runHookPhase(context(port), plan.hooks.PreSync);
    expect(ran.failed).toBe(true);
    expect(calls).toEqual(['apply first', 'remove first']);
    expect(live.size).toBe(0);
    expect(ran.changes.map((c) => [c.subject, c.action, c.hook?.phase])).toEqual([
      ['Job/shop/first', 'failed', 'PreSync'],
      ['Job/shop/second', 'skipped', 'PreSync'],
    ]);
  });

  it('fails a hook that does not complete within the timeout, and keeps it (no HookFailed)', async () => {
    const { port, calls } = fakeCluster(() => undefined);
    const plan = planPhases(
      [job('stuck', { 'helm.sh/hook': 'post-install', 'helm.sh/hook-delete-policy': 'hook-succeeded' })],
      (d) => d.object,
    );
    const ran = await runHookPhase(context(port), plan.hooks.PostSync);
    expect(ran.changes[0]).toMatchObject({
      action: 'failed',
      reason: 'PostSync hook did not complete within 1 s',
      hook: { phase: 'PostSync' },
    });
    // Only the policies named apply: no BeforeHookCreation, so nothing was deleted first.
    expect(calls).toEqual(['apply stuck']);
  });

  it('deletes the previous run first (BeforeHookCreation) and a succeeded one after (HookSucceeded)', async () => {
    const { port, calls } = fakeCluster(() => 'Complete');
    const plan = planPhases(
      [
        job('migrate', {
          'helm.sh/hook': 'pre-upgrade',
          'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded',
        }),
      ],
      (d) => d.object,
    );
    const ran = await runHookPhase(context(port), plan.hooks.PreSync);
    expect(ran.failed).toBe(false);
    expect(calls).toEqual(['remove migrate', 'apply migrate', 'remove migrate']);
    expect(ran.changes[0]).toMatchObject({
      action: 'created',
      reason: expect.stringContaining('then deleted (HookSucceeded)'),
    });
  });

  const beforeAndAfter = {
    'helm.sh/hook': 'pre-upgrade',
    'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded',
  };
  const existing = (labels: Record<string, string>): KubeObject => ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'db', namespace: 'shop', labels },
    status: { conditions: [{ type: 'Complete', status: 'True' }] },
  });

  it.each([
    ['another app', { 'plumbline.dev/app': 'billing' }, 'belongs to app billing'],
    ["another app's hook", { 'plumbline.dev/hook-of': 'billing' }, "app billing's hooks"],
    ['no app', { team: 'ops' }, 'belongs to no Plumbline app'],
    [
      'another app, labelled a hook of this one',
      { 'plumbline.dev/app': 'billing', 'plumbline.dev/hook-of': 'shop' },
      'app billing',
    ],
  ])(
    'neither replaces nor deletes an object of its name that belongs to %s',
    async (_who, labels, holder) => {
      const { port, calls, live } = fakeCluster(() => 'Complete');
      const theirs = existing(labels);
      live.set('db', theirs);
      const plan = planPhases([job('db', beforeAndAfter)], (d) => d.object);
      const ran = await runHookPhase(context(port), plan.hooks.PreSync);
      expect(ran.failed).toBe(true);
      expect(ran.changes[0]?.action).toBe('failed');
      expect(ran.changes[0]?.reason).toContain(holder);
      expect(calls).toEqual([]);
      expect(live.get('db')).toBe(theirs);
    },
  );

  it("replaces this app's previous run of the hook, or its own object of that name", async () => {
    const mine: Record<string, string>[] = [
      { 'plumbline.dev/hook-of': 'shop' },
      { 'plumbline.dev/app': 'shop' },
    ];
    for (const labels of mine) {
      const { port, calls, live } = fakeCluster(() => 'Complete');
      live.set('db', existing(labels));
      const plan = planPhases([job('db', beforeAndAfter)], (d) => d.object);
      const ran = await runHookPhase(context(port), plan.hooks.PreSync);
      expect(ran.failed).toBe(false);
      expect(calls).toEqual(['remove db', 'apply db', 'remove db']);
    }
  });

  it("shares the sync's timeout between phases: a hook after a stuck one is not run past it", async () => {
    const { port, calls } = fakeCluster(() => undefined);
    const clock = { t: 0 };
    const ctx = { ...context(port, clock), until: 1000 };
    const pre = planPhases([job('stuck', { 'argocd.argoproj.io/hook': 'PreSync' })], (d) => d.object);
    const fail = planPhases([job('cleanup', { 'argocd.argoproj.io/hook': 'SyncFail' })], (d) => d.object);
    expect((await runHookPhase(ctx, pre.hooks.PreSync)).failed).toBe(true);
    const after = await runHookPhase(ctx, fail.hooks.SyncFail);
    expect(after.changes[0]).toMatchObject({
      action: 'failed',
      reason: expect.stringContaining('timeout was spent'),
    });
    expect(calls.filter((c) => c.startsWith('apply'))).toEqual(['apply stuck']);
    expect(clock.t).toBeLessThanOrEqual(1100);
  });
});
