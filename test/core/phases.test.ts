import type { KubeObject } from '../../lib/core/manifests';
import { toKubeObject } from '../../lib/core/manifests/validate';
import {
  applyWaves,
  InvalidHookError,
  InvalidSyncWaveError,
  planPhases,
  roleOf,
  syncSteps,
  syncWave,
} from '../../lib/core/order';
import { refuseReservedNames } from '../../lib/core/sync/reserved';

function obj(kind: string, name: string, annotations: Record<string, string> = {}, extra = {}): KubeObject {
  const apiVersion =
    kind === 'Job' ? 'batch/v1' : ['Deployment', 'ReplicaSet'].includes(kind) ? 'apps/v1' : 'v1';
  const namespaced = !['Namespace', 'CustomResourceDefinition'].includes(kind);
  return {
    apiVersion: kind === 'CustomResourceDefinition' ? 'apiextensions.k8s.io/v1' : apiVersion,
    kind,
    metadata: { name, ...(namespaced ? { namespace: 'shop' } : {}), annotations },
    ...extra,
  };
}

const ARGO = 'argocd.argoproj.io/hook';
const ARGO_POLICY = 'argocd.argoproj.io/hook-delete-policy';
const HELM = 'helm.sh/hook';
const HELM_POLICY = 'helm.sh/hook-delete-policy';

describe('roleOf', () => {
  it.each<[string, Record<string, string>, unknown]>([
    ['no annotation: an object', {}, { role: 'object' }],
    ['Argo PreSync', { [ARGO]: 'PreSync' }, { role: 'hook', phases: ['PreSync'] }],
    ['Argo Sync', { [ARGO]: 'Sync' }, { role: 'hook', phases: ['Sync'] }],
    ['Argo SyncFail', { [ARGO]: 'SyncFail' }, { role: 'hook', phases: ['SyncFail'] }],
    ['Argo phases listed out of order', { [ARGO]: 'PostSync, PreSync' }, { phases: ['PreSync', 'PostSync'] }],
    ['Argo Skip', { [ARGO]: 'Skip' }, { role: 'skip', reason: `${ARGO}: Skip` }],
    ['Argo Skip beside a phase runs the phase', { [ARGO]: 'Skip,Sync' }, { role: 'hook', phases: ['Sync'] }],
    ['Helm pre-install', { [HELM]: 'pre-install' }, { role: 'hook', phases: ['PreSync'] }],
    ['Helm pre-upgrade and pre-install once', { [HELM]: 'pre-install,pre-upgrade' }, { phases: ['PreSync'] }],
    ['Helm post-install', { [HELM]: 'post-install' }, { role: 'hook', phases: ['PostSync'] }],
    ['Helm post-upgrade', { [HELM]: 'post-upgrade' }, { role: 'hook', phases: ['PostSync'] }],
    ['Helm pre and post', { [HELM]: 'pre-upgrade,post-upgrade' }, { phases: ['PreSync', 'PostSync'] }],
    ['Helm test', { [HELM]: 'test' }, { role: 'skip', reason: expect.stringContaining('helm test') }],
    ['Helm test-success', { [HELM]: 'test-success' }, { role: 'skip' }],
    ['Helm test-failure', { [HELM]: 'test-failure' }, { role: 'skip' }],
    [
      'Helm pre-delete',
      { [HELM]: 'pre-delete' },
      { role: 'skip', reason: expect.stringContaining('deleted') },
    ],
    [
      'Helm post-rollback',
      { [HELM]: 'post-rollback' },
      { role: 'skip', reason: expect.stringContaining('rollback') },
    ],
    ['Helm crd-install is an ordinary object', { [HELM]: 'crd-install' }, { role: 'object' }],
    [
      'a misspelt Helm hook is not applied',
      { [HELM]: 'post-insntall' },
      { role: 'skip', reason: expect.stringContaining('post-insntall') },
    ],
    ['Argo wins over Helm', { [ARGO]: 'PostSync', [HELM]: 'pre-install' }, { phases: ['PostSync'] }],
    [
      'Helm read when Argo names no phase',
      { [ARGO]: 'Bogus', [HELM]: 'pre-install' },
      { phases: ['PreSync'] },
    ],
    ['default delete policy', { [ARGO]: 'PreSync' }, { deletePolicies: ['BeforeHookCreation'] }],
    [
      'Argo delete policies',
      { [ARGO]: 'PreSync', [ARGO_POLICY]: 'HookSucceeded,HookFailed' },
      { deletePolicies: ['HookSucceeded', 'HookFailed'] },
    ],
    [
      'Helm delete policies',
      { [HELM]: 'post-install', [HELM_POLICY]: 'before-hook-creation,hook-succeeded' },
      { deletePolicies: ['BeforeHookCreation', 'HookSucceeded'] },
    ],
  ])('%s', (_name, annotations, expected) => {
    expect(roleOf(obj('Job', 'j', annotations))).toMatchObject(expected as object);
  });

  it('refuses a delete policy no one defines, naming the object and the annotation', () => {
    expect(() => roleOf(obj('Job', 'j', { [ARGO]: 'PreSync', [ARGO_POLICY]: 'HookSucceded' }))).toThrow(
      new InvalidHookError(
        `Job/shop/j: annotation ${ARGO_POLICY} names unknown policy "HookSucceded" (known: BeforeHookCreation, HookSucceeded, HookFailed, or Helm's before-hook-creation, hook-succeeded, hook-failed)`,
      ),
    );
  });
});

describe('syncWave precedence', () => {
  it.each<[string, Record<string, string>, number]>([
    ['Plumbline alone', { 'plumbline.dev/sync-wave': '2' }, 2],
    ['Argo alone', { 'argocd.argoproj.io/sync-wave': '-1' }, -1],
    ['Helm weight alone', { 'helm.sh/hook-weight': '5' }, 5],
    ['Plumbline over Argo', { 'plumbline.dev/sync-wave': '2', 'argocd.argoproj.io/sync-wave': '7' }, 2],
    ['Argo over Helm weight', { 'argocd.argoproj.io/sync-wave': '3', 'helm.sh/hook-weight': '-4' }, 3],
  ])('%s', (_name, annotations, wave) => {
    expect(syncWave(obj('ConfigMap', 'c', annotations))).toBe(wave);
  });

  it('refuses a bad Argo CD wave, naming the annotation', () => {
    expect(() => syncWave(obj('ConfigMap', 'c', { 'argocd.argoproj.io/sync-wave': 'two' }))).toThrow(
      new InvalidSyncWaveError('ConfigMap/shop/c', 'two', { annotation: 'argocd.argoproj.io/sync-wave' }),
    );
  });
});

const names = (list: readonly { item: KubeObject }[]): string[] => list.map((h) => h.item.metadata.name);

describe('planPhases', () => {
  const plan = planPhases(
    [
      obj('Deployment', 'web'),
      obj('Job', 'migrate', { [ARGO]: 'PreSync', 'argocd.argoproj.io/sync-wave': '1' }),
      obj('ConfigMap', 'settings', { [HELM]: 'pre-install', 'helm.sh/hook-weight': '-5' }),
      obj('Job', 'backup', { [ARGO]: 'PreSync', 'argocd.argoproj.io/sync-wave': '1' }),
      obj('Job', 'smoke', { [ARGO]: 'PostSync' }),
      obj('Job', 'both', { [ARGO]: 'PreSync,PostSync', 'argocd.argoproj.io/sync-wave': '9' }),
      obj('Pod', 'test', { [HELM]: 'test' }),
      obj('Pod', 'page', { [ARGO]: 'SyncFail' }),
    ],
    (o) => o,
  );

  it('keeps only ordinary objects as the app’s objects', () => {
    expect(plan.objects.map((o) => o.metadata.name)).toEqual(['web']);
  });

  it('groups PreSync hooks by wave, lowest first, by kind then name within a wave', () => {
    expect(plan.hooks.PreSync.map((w) => [w.wave, names(w.hooks)])).toEqual([
      [-5, ['settings']],
      [1, ['backup', 'migrate']],
      [9, ['both']],
    ]);
  });

  it('puts a hook of two phases in both', () => {
    expect(plan.hooks.PostSync.map((w) => [w.wave, names(w.hooks)])).toEqual([
      [0, ['smoke']],
      [9, ['both']],
    ]);
  });

  it('plans SyncFail hooks and skips test hooks with the reason', () => {
    expect(plan.hooks.SyncFail.flatMap((w) => names(w.hooks))).toEqual(['page']);
    expect(plan.skipped.map((s) => [s.item.metadata.name, s.reason])).toEqual([
      ['test', expect.stringContaining('helm test')],
    ]);
  });

  it('refuses a bad wave on a hook before anything runs', () => {
    expect(() =>
      planPhases([obj('Job', 'j', { [ARGO]: 'PreSync', 'helm.sh/hook-weight': 'x' })], (o) => o),
    ).toThrow(InvalidSyncWaveError);
  });
});

const steps = (objects: KubeObject[], hooks: KubeObject[] = []): string[] =>
  syncSteps(applyWaves(objects), planPhases(hooks, (o) => o).hooks.Sync).map((s) =>
    s.step === 'hooks'
      ? `hooks@${s.wave}: ${names(s.hooks.hooks).join(',')}`
      : `${s.step}@${s.wave}: ${s.objects.map((o) => o.metadata.name).join(',')}`,
  );

describe('syncSteps', () => {
  it.each<[string, KubeObject[], KubeObject[], string[]]>([
    ['no objects, no steps', [], [], []],
    [
      'one wave: kind batches and no wait (as before hooks)',
      [obj('Deployment', 'web'), obj('ConfigMap', 'c')],
      [],
      ['apply@0: c', 'apply@0: web'],
    ],
    [
      'two waves: a wait between them, none after the last',
      [obj('Deployment', 'web', { 'argocd.argoproj.io/sync-wave': '1' }), obj('ConfigMap', 'c')],
      [],
      ['apply@0: c', 'wait@0: c', 'apply@1: web'],
    ],
    [
      'a later wave of a lower kind rank comes after a workload',
      [obj('ConfigMap', 'late', { 'plumbline.dev/sync-wave': '2' }), obj('Deployment', 'web')],
      [],
      ['apply@0: web', 'wait@0: web', 'apply@2: late'],
    ],
    [
      'Sync hooks run after their wave’s objects, before the wait',
      [obj('Deployment', 'web'), obj('Service', 'web', { 'argocd.argoproj.io/sync-wave': '1' })],
      [obj('Job', 'banner', { [ARGO]: 'Sync' })],
      ['apply@0: web', 'hooks@0: banner', 'wait@0: web', 'apply@1: web'],
    ],
    [
      'a Sync hook alone in its wave: no wait after it',
      [obj('Deployment', 'web'), obj('Service', 'web', { 'argocd.argoproj.io/sync-wave': '2' })],
      [obj('Job', 'banner', { [ARGO]: 'Sync', 'argocd.argoproj.io/sync-wave': '1' })],
      ['apply@0: web', 'wait@0: web', 'hooks@1: banner', 'apply@2: web'],
    ],
    [
      'a Namespace takes the earliest wave of what it holds',
      [
        obj('Namespace', 'shop', { 'argocd.argoproj.io/sync-wave': '5' }),
        obj('ConfigMap', 'c', { 'argocd.argoproj.io/sync-wave': '-1' }),
      ],
      [],
      ['apply@-1: shop', 'apply@-1: c'],
    ],
    [
      'a CRD takes the earliest wave of its custom resources',
      [
        obj(
          'CustomResourceDefinition',
          'widgets.example.com',
          { 'argocd.argoproj.io/sync-wave': '3' },
          { spec: { group: 'example.com', names: { kind: 'Widget' } } },
        ),
        { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'shop' } },
      ],
      [],
      ['apply@0: widgets.example.com', 'apply@0: w'],
    ],
    [
      'a CRD keeps its own earlier wave',
      [
        obj(
          'CustomResourceDefinition',
          'widgets.example.com',
          { 'argocd.argoproj.io/sync-wave': '-2' },
          { spec: { group: 'example.com', names: { kind: 'Widget' } } },
        ),
        { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'shop' } },
      ],
      [],
      ['apply@-2: widgets.example.com', 'wait@-2: widgets.example.com', 'apply@0: w'],
    ],
  ])('%s', (_name, objects, hooks, expected) => {
    expect(steps(objects, hooks)).toEqual(expected);
  });
});

describe('toKubeObject and generateName', () => {
  it('accepts generateName on a hook, as the API spells it (name "")', () => {
    const object = toKubeObject(
      {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { generateName: 'before-', annotations: { [ARGO]: 'PreSync' } },
      },
      'hooks.yaml',
    );
    expect(object.metadata).toMatchObject({ name: '', generateName: 'before-' });
  });

  it('refuses generateName on an object that is not a hook', () => {
    expect(() =>
      toKubeObject(
        { apiVersion: 'batch/v1', kind: 'Job', metadata: { generateName: 'before-' } },
        'job.yaml',
      ),
    ).toThrow('job.yaml: metadata.generateName is supported for hooks only');
  });

  it('refuses a generateName that makes no valid name', () => {
    expect(() =>
      toKubeObject(
        {
          apiVersion: 'batch/v1',
          kind: 'Job',
          metadata: { generateName: 'Before_', annotations: { [HELM]: 'pre-install' } },
        },
        'job.yaml',
      ),
    ).toThrow('is not a DNS-1123 subdomain');
  });
});

describe('refuseReservedNames and hooks', () => {
  it('refuses a hook whose generateName would make an inventory name', () => {
    const object = toKubeObject(
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { generateName: 'plumbline-inventory-', annotations: { [ARGO]: 'PreSync' } },
      },
      'hooks.yaml',
    );
    expect(() => refuseReservedNames([{ object, source: { file: 'hooks.yaml', document: 1 } }])).toThrow(
      'ConfigMap plumbline-inventory-: names starting with "plumbline-inventory-" are reserved',
    );
  });
});
