import fc from 'fast-check';
import { formatId, idOf, type KubeObject, type ObjectId, subjectOf } from '../../lib/core/manifests';
import {
  applyBatches,
  deleteOrder,
  effectiveWaves,
  InvalidSyncWaveError,
  kindRank,
  syncWave,
} from '../../lib/core/order';

function obj(apiVersion: string, kind: string, name: string, namespace?: string, wave?: string): KubeObject {
  const metadata: KubeObject['metadata'] = { name };
  if (namespace !== undefined) metadata.namespace = namespace;
  if (wave !== undefined) metadata.annotations = { 'plumbline.dev/sync-wave': wave };
  return { apiVersion, kind, metadata };
}

const ids = (batches: KubeObject[][]): string[][] => batches.map((b) => b.map((o) => formatId(idOf(o))));

describe('kindRank', () => {
  it('orders the documented tiers from Namespace to webhook configurations', () => {
    const sequence: [string, string][] = [
      ['', 'Namespace'],
      ['apiextensions.k8s.io', 'CustomResourceDefinition'],
      ['storage.k8s.io', 'StorageClass'],
      ['', 'ServiceAccount'],
      ['rbac.authorization.k8s.io', 'ClusterRole'],
      ['rbac.authorization.k8s.io', 'RoleBinding'],
      ['', 'ConfigMap'],
      ['', 'PersistentVolumeClaim'],
      ['', 'LimitRange'],
      ['', 'Service'],
      ['apps', 'Deployment'],
      ['networking.k8s.io', 'Ingress'],
      ['example.com', 'Widget'],
      ['admissionregistration.k8s.io', 'ValidatingWebhookConfiguration'],
    ];
    const ranks = sequence.map(([group, kind]) => kindRank(group, kind));
    for (let i = 1; i < ranks.length; i++) expect(ranks[i]).toBeGreaterThan(ranks[i - 1] ?? Number.NaN);
  });

  it('puts every cluster-wide prerequisite after CRDs and before ServiceAccounts', () => {
    const crd = kindRank('apiextensions.k8s.io', 'CustomResourceDefinition');
    const sa = kindRank('', 'ServiceAccount');
    for (const [group, kind] of [
      ['scheduling.k8s.io', 'PriorityClass'],
      ['storage.k8s.io', 'StorageClass'],
      ['networking.k8s.io', 'IngressClass'],
      ['node.k8s.io', 'RuntimeClass'],
      ['policy', 'PodSecurityPolicy'],
    ] as const) {
      expect(kindRank(group, kind)).toBeGreaterThan(crd);
      expect(kindRank(group, kind)).toBeLessThan(sa);
    }
  });

  it('applies roles before the bindings that reference them', () => {
    const rbac = 'rbac.authorization.k8s.io';
    expect(kindRank(rbac, 'ClusterRole')).toBeLessThan(kindRank(rbac, 'ClusterRoleBinding'));
    expect(kindRank(rbac, 'Role')).toBeLessThan(kindRank(rbac, 'RoleBinding'));
    expect(kindRank(rbac, 'ClusterRole')).toBeLessThan(kindRank(rbac, 'RoleBinding'));
  });

  it('gives kinds without a dependency between them one rank, so they share a batch', () => {
    expect(kindRank('', 'ConfigMap')).toBe(kindRank('', 'Secret'));
    expect(kindRank('apps', 'Deployment')).toBe(kindRank('batch', 'CronJob'));
    expect(kindRank('apps', 'StatefulSet')).toBe(kindRank('autoscaling', 'HorizontalPodAutoscaler'));
  });

  it('ranks webhooks, admission policies and APIServices after custom resources', () => {
    const custom = kindRank('example.com', 'Widget');
    expect(kindRank('apiregistration.k8s.io', 'APIService')).toBeGreaterThan(custom);
    expect(kindRank('admissionregistration.k8s.io', 'MutatingWebhookConfiguration')).toBeGreaterThan(custom);
    expect(kindRank('admissionregistration.k8s.io', 'ValidatingAdmissionPolicy')).toBeGreaterThan(custom);
  });

  it('treats a custom resource named like a built-in kind as a custom resource', () => {
    const custom = kindRank('example.com', 'Widget');
    expect(kindRank('example.com', 'Service')).toBe(custom);
    expect(kindRank('example.com', 'Namespace')).toBe(custom);
    expect(kindRank('', 'Service')).not.toBe(custom);
  });

  it('knows the legacy extensions group for workloads and ingresses', () => {
    expect(kindRank('extensions', 'Deployment')).toBe(kindRank('apps', 'Deployment'));
    expect(kindRank('extensions', 'Ingress')).toBe(kindRank('networking.k8s.io', 'Ingress'));
  });
});

describe('syncWave', () => {
  it('is 0 without the annotation', () => {
    expect(syncWave(obj('v1', 'ConfigMap', 'a', 'ns'))).toBe(0);
  });

  it('reads negative, positive and signed integers', () => {
    expect(syncWave(obj('v1', 'ConfigMap', 'a', 'ns', '-2'))).toBe(-2);
    expect(syncWave(obj('v1', 'ConfigMap', 'a', 'ns', '5'))).toBe(5);
    expect(syncWave(obj('v1', 'ConfigMap', 'a', 'ns', '+3'))).toBe(3);
    expect(Object.is(syncWave(obj('v1', 'ConfigMap', 'a', 'ns', '-0')), 0)).toBe(true);
  });

  it.each(['1.5', 'one', '', ' 1', '1e3', '99999999999999999999'])(
    'throws a typed error naming the object for %j',
    (wave) => {
      const object = obj('apps/v1', 'Deployment', 'web', 'shop', wave);
      expect(() => syncWave(object)).toThrow(InvalidSyncWaveError);
      expect(() => syncWave(object)).toThrow(`${subjectOf(idOf(object))}: `);
      expect(() => syncWave(object)).toThrow(JSON.stringify(wave));
    },
  );

  it('refuses a numeric annotation value, which the API server would reject', () => {
    const object = obj('v1', 'ConfigMap', 'a', 'ns');
    object.metadata.annotations = { 'plumbline.dev/sync-wave': 1 as unknown as string };
    expect(() => syncWave(object)).toThrow(/got 1 \(number\)/);
  });
});

describe('applyBatches', () => {
  it('batches by wave, then by kind rank, sorting each batch by id, a Namespace in the earliest wave of what it holds', () => {
    const objects = [
      obj('apps/v1', 'Deployment', 'web', 'shop'),
      obj('v1', 'ConfigMap', 'b', 'shop'),
      obj('v1', 'Secret', 'a', 'shop'),
      obj('apps/v1', 'Deployment', 'db', 'shop', '-1'),
      obj('v1', 'Namespace', 'shop'),
      obj('example.com/v1', 'Widget', 'w', 'shop', '-5'),
      obj('v1', 'ConfigMap', 'a', 'shop'),
    ];
    expect(ids(applyBatches(objects))).toEqual([
      ['/Namespace//shop'],
      ['example.com/Widget/shop/w'],
      ['apps/Deployment/shop/db'],
      ['/ConfigMap/shop/a', '/ConfigMap/shop/b', '/Secret/shop/a'],
      ['apps/Deployment/shop/web'],
    ]);
  });

  it('never lets a wave move an object ahead of its Namespace', () => {
    const batches = applyBatches([
      obj('v1', 'Namespace', 'late', undefined, '10'),
      obj('v1', 'ConfigMap', 'early', 'late', '-10'),
    ]);
    expect(ids(batches)).toEqual([['/Namespace//late'], ['/ConfigMap/late/early']]);
  });

  it('applies a later wave after an earlier one whatever their kinds, as Argo CD does', () => {
    const batches = applyBatches([
      obj('v1', 'ConfigMap', 'settings', 'shop', '2'),
      obj('apps/v1', 'Deployment', 'web', 'shop', '1'),
      obj('v1', 'Namespace', 'other', undefined, '5'),
    ]);
    expect(ids(batches)).toEqual([
      ['apps/Deployment/shop/web'],
      ['/ConfigMap/shop/settings'],
      ['/Namespace//other'],
    ]);
  });

  it('returns no batches for no objects', () => {
    expect(applyBatches([])).toEqual([]);
  });

  it('throws the sync-wave error of a bad annotation', () => {
    expect(() => applyBatches([obj('v1', 'ConfigMap', 'a', 'ns', 'x')])).toThrow(InvalidSyncWaveError);
  });
});

describe('deleteOrder', () => {
  it('deletes webhooks first and namespaces last, ties by id descending', () => {
    const order = deleteOrder([
      { group: '', kind: 'Namespace', namespace: '', name: 'shop' },
      { group: '', kind: 'ConfigMap', namespace: 'shop', name: 'a' },
      {
        group: 'admissionregistration.k8s.io',
        kind: 'ValidatingWebhookConfiguration',
        namespace: '',
        name: 'v',
      },
      { group: '', kind: 'ConfigMap', namespace: 'shop', name: 'b' },
      {
        group: 'apiextensions.k8s.io',
        kind: 'CustomResourceDefinition',
        namespace: '',
        name: 'widgets.example.com',
      },
      { group: 'example.com', kind: 'Widget', namespace: 'shop', name: 'w' },
    ]);
    expect(order.map(formatId)).toEqual([
      'admissionregistration.k8s.io/ValidatingWebhookConfiguration//v',
      'example.com/Widget/shop/w',
      '/ConfigMap/shop/b',
      '/ConfigMap/shop/a',
      'apiextensions.k8s.io/CustomResourceDefinition//widgets.example.com',
      '/Namespace//shop',
    ]);
  });
});

const KINDS: readonly [string, string, boolean][] = [
  ['v1', 'Namespace', false],
  ['apiextensions.k8s.io/v1', 'CustomResourceDefinition', false],
  ['rbac.authorization.k8s.io/v1', 'ClusterRole', false],
  ['v1', 'ServiceAccount', true],
  ['v1', 'ConfigMap', true],
  ['v1', 'Service', true],
  ['apps/v1', 'Deployment', true],
  ['example.com/v1', 'Service', true],
  ['example.com/v1', 'Cluster', false],
  ['admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration', false],
];

const objects = fc.array(
  fc
    .record({
      kind: fc.constantFrom(...KINDS),
      name: fc.constantFrom('a', 'b', 'c'),
      namespace: fc.constantFrom('a', 'y'),
      wave: fc.option(fc.integer({ min: -3, max: 3 }), { nil: undefined }),
    })
    .map(({ kind: [apiVersion, kind, namespaced], name, namespace, wave }) =>
      obj(
        apiVersion,
        kind,
        name,
        namespaced ? namespace : undefined,
        wave === undefined ? undefined : String(wave),
      ),
    ),
  { maxLength: 30 },
);

const objectIds: fc.Arbitrary<ObjectId[]> = objects.map((list) => list.map(idOf));

describe('order properties', () => {
  it('applyBatches returns a permutation of its input in non-empty batches', () => {
    fc.assert(
      fc.property(objects, (input) => {
        const batches = applyBatches(input);
        expect(batches.every((b) => b.length > 0)).toBe(true);
        const flat = batches.flat();
        expect(flat).toHaveLength(input.length);
        expect(new Set(flat)).toEqual(new Set(input));
      }),
    );
  });

  it('applyBatches puts every Namespace in an earlier batch than every object in it', () => {
    fc.assert(
      fc.property(objects, (input) => {
        const batches = applyBatches(input);
        const batchOf = (name: string, inside: boolean): number[] =>
          batches.flatMap((b, i) =>
            b.some((o) =>
              inside ? o.metadata.namespace === name : o.kind === 'Namespace' && o.metadata.name === name,
            )
              ? [i]
              : [],
          );
        for (const name of ['a', 'b', 'c']) {
          const namespaces = batchOf(name, false);
          const held = batchOf(name, true);
          if (namespaces.length > 0 && held.length > 0)
            expect(Math.max(...namespaces)).toBeLessThan(Math.min(...held));
        }
      }),
    );
  });

  it('applyBatches is deterministic: any input order gives the same batches', () => {
    fc.assert(
      fc.property(
        objects.chain((input) =>
          fc.tuple(fc.constant(input), fc.shuffledSubarray(input, { minLength: input.length })),
        ),
        ([input, shuffled]) => {
          // Objects with equal ids may come back in either input order, so compare ids, not references.
          expect(ids(applyBatches(shuffled))).toEqual(ids(applyBatches(input)));
        },
      ),
    );
  });

  it('applyBatches keeps kind rank and wave non-decreasing and equal within a batch', () => {
    fc.assert(
      fc.property(objects, (input) => {
        const waves = new Map(input.map((o, i) => [o, effectiveWaves(input)[i] ?? 0]));
        const keys = applyBatches(input).map((b) =>
          b.map((o): [number, number] => [kindRank(idOf(o).group, o.kind), waves.get(o) ?? 0]),
        );
        for (const batch of keys) expect(new Set(batch.map((k) => k.join()))).toHaveProperty('size', 1);
        const firsts = keys.map((b): [number, number] => b[0] ?? [0, 0]);
        for (let i = 1; i < firsts.length; i++) {
          const [rank, wave] = firsts[i] ?? [0, 0];
          const [prevRank, prevWave] = firsts[i - 1] ?? [0, 0];
          expect(wave > prevWave || (wave === prevWave && rank > prevRank)).toBe(true);
        }
      }),
    );
  });

  it('deleteOrder is a permutation whose kind ranks never increase', () => {
    fc.assert(
      fc.property(objectIds, (input) => {
        const order = deleteOrder(input);
        expect(order.map(formatId).sort()).toEqual(input.map(formatId).sort());
        const ranks = order.map((id) => kindRank(id.group, id.kind));
        for (let i = 1; i < ranks.length; i++)
          expect(ranks[i]).toBeLessThanOrEqual(ranks[i - 1] ?? Number.NaN);
      }),
    );
  });

  it('deleteOrder reverses the kind ranks of the apply order of objects without waves', () => {
    fc.assert(
      fc.property(objects, (withWaves) => {
        const input = withWaves.map((o) => ({
          ...o,
          metadata: { name: o.metadata.name, namespace: o.metadata.namespace },
        }));
        const applyRanks = applyBatches(input)
          .flat()
          .map((o) => kindRank(idOf(o).group, o.kind));
        const deleteRanks = deleteOrder(input.map(idOf)).map((id) => kindRank(id.group, id.kind));
        expect(deleteRanks).toEqual([...applyRanks].reverse());
      }),
    );
  });
});
