import fc from 'fast-check';
import { applyStrategicMergePatch, PatchError } from '../../../lib/local/sandbox/patch';
import { builtinSchema, crdSchema, type Obj } from '../../../lib/local/sandbox/schema';
import { deepFreeze } from './deep-freeze';

type Container = { name: string; image?: string; env?: Obj[]; ports?: Obj[]; args?: string[] };

function deployment(): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'default',
      labels: { app: 'web', stale: 'yes' },
      finalizers: ['a', 'b'],
    },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web', tier: 'frontend' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels: { app: 'web', tier: 'frontend' } },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'nginx:1.25',
              args: ['--a', '--b'],
              env: [
                { name: 'A', value: '1' },
                { name: 'B', value: '2' },
              ],
              ports: [{ containerPort: 80, protocol: 'TCP' }],
            },
            { name: 'sidecar', image: 'envoy:1.30' },
          ],
          volumes: [{ name: 'data', emptyDir: {} }],
        },
      },
    },
  };
}

const smp = (target: Obj, patch: Obj) =>
  applyStrategicMergePatch(deepFreeze(target), deepFreeze(patch), builtinSchema);
const podSpecPatch = (spec: Obj): Obj => ({ spec: { template: { spec } } });
const podSpec = (obj: Obj) => ((obj.spec as Obj).template as Obj).spec as Obj;
const containers = (obj: Obj) => podSpec(obj).containers as Container[];
const names = (items: unknown) => (items as { name: string }[]).map((c) => c.name);

describe('applyStrategicMergePatch', () => {
  it("changes one container's image by name and leaves the other containers alone", () => {
    const result = smp(
      deployment(),
      podSpecPatch({ containers: [{ name: 'sidecar', image: 'envoy:1.31' }] }),
    );
    expect(containers(result)).toEqual([
      containers(deployment())[0],
      { name: 'sidecar', image: 'envoy:1.31' },
    ]);
  });

  it('adds a container, placing it first when the patch gives no order, as Kubernetes does', () => {
    // mergeSortedSlice puts an item with no live position before the live items.
    const result = smp(deployment(), podSpecPatch({ containers: [{ name: 'log', image: 'fluent-bit:3' }] }));
    expect(names(containers(result))).toEqual(['log', 'app', 'sidecar']);
    expect(containers(result)[0]).toEqual({ name: 'log', image: 'fluent-bit:3' });
  });

  it("adds a container at the end of kubectl apply's $setElementOrder and does not leak the directive", () => {
    const patch = podSpecPatch({
      '$setElementOrder/containers': [{ name: 'app' }, { name: 'sidecar' }, { name: 'log' }],
      containers: [{ name: 'log', image: 'fluent-bit:3' }],
    });
    const result = smp(deployment(), patch);
    expect(names(containers(result))).toEqual(['app', 'sidecar', 'log']);
    expect(Object.keys(podSpec(result))).toEqual(['containers', 'volumes']);
  });

  it('deletes a container named by a $patch: delete item', () => {
    const result = smp(deployment(), podSpecPatch({ containers: [{ name: 'sidecar', $patch: 'delete' }] }));
    expect(names(containers(result))).toEqual(['app']);
  });

  it('merges env by name, keeping live variables and appending new ones after the changed one', () => {
    const patch = podSpecPatch({
      containers: [
        {
          name: 'app',
          env: [
            { name: 'B', value: '3' },
            { name: 'C', value: '4' },
          ],
        },
      ],
    });
    expect(containers(smp(deployment(), patch))[0]?.env).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: '3' },
      { name: 'C', value: '4' },
    ]);
  });

  it('merges container ports by containerPort', () => {
    const patch = podSpecPatch({
      containers: [
        {
          name: 'app',
          ports: [
            { containerPort: 80, name: 'http' },
            { containerPort: 443, name: 'https' },
          ],
        },
      ],
    });
    expect(containers(smp(deployment(), patch))[0]?.ports).toEqual([
      { containerPort: 80, protocol: 'TCP', name: 'http' },
      { containerPort: 443, name: 'https' },
    ]);
  });

  it('merges service ports by port and replaces the atomic service selector whole', () => {
    const service: Obj = {
      kind: 'Service',
      spec: {
        selector: { app: 'web', tier: 'frontend' },
        ports: [
          { name: 'http', port: 80, targetPort: 8080 },
          { name: 'metrics', port: 9090, targetPort: 9090 },
        ],
      },
    };
    const patch = { spec: { selector: { app: 'api' }, ports: [{ port: 80, targetPort: 8081 }] } };
    expect(smp(service, patch).spec).toEqual({
      selector: { app: 'api' },
      ports: [
        { name: 'http', port: 80, targetPort: 8081 },
        { name: 'metrics', port: 9090, targetPort: 9090 },
      ],
    });
  });

  it('replaces the atomic spec.selector of a Deployment instead of merging it', () => {
    const result = smp(deployment(), { spec: { selector: { matchLabels: { app: 'web' } } } });
    expect((result.spec as Obj).selector).toEqual({ matchLabels: { app: 'web' } });
  });

  it('replaces atomic lists such as container args', () => {
    const result = smp(deployment(), podSpecPatch({ containers: [{ name: 'app', args: ['--c'] }] }));
    expect(containers(result)[0]?.args).toEqual(['--c']);
  });

  it('merges finalizers as a set union without duplicates', () => {
    const result = smp(deployment(), { metadata: { finalizers: ['b', 'c'] } });
    expect((result.metadata as Obj).finalizers).toEqual(['a', 'b', 'c']);
  });

  it('removes finalizers listed in $deleteFromPrimitiveList and ignores absent lists', () => {
    const patch = {
      metadata: { '$deleteFromPrimitiveList/finalizers': ['a'], '$deleteFromPrimitiveList/other': ['x'] },
    };
    const result = smp(deployment(), patch);
    expect(result.metadata).toEqual({ ...(deployment().metadata as Obj), finalizers: ['b'] });
  });

  it('deletes a label set to null', () => {
    const result = smp(deployment(), { metadata: { labels: { stale: null, team: 'x' } } });
    expect((result.metadata as Obj).labels).toEqual({ app: 'web', team: 'x' });
  });

  it('reorders a list by $setElementOrder alone', () => {
    const patch = podSpecPatch({ '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'app' }] });
    const result = smp(deployment(), patch);
    expect(names(containers(result))).toEqual(['sidecar', 'app']);
    expect(JSON.stringify(result)).not.toContain('$setElementOrder');
  });

  it('interleaves items $setElementOrder leaves out by their live position, as Kubernetes does', () => {
    const live = { metadata: { finalizers: ['a', 'b', 'c'] } };
    const result = smp(live, { metadata: { '$setElementOrder/finalizers': ['c', 'a'] } });
    expect(result).toEqual({ metadata: { finalizers: ['b', 'c', 'a'] } });
  });

  it('rejects a patch list whose order contradicts its $setElementOrder', () => {
    const patch = podSpecPatch({
      '$setElementOrder/containers': [{ name: 'app' }, { name: 'sidecar' }],
      containers: [
        { name: 'sidecar', image: 'x' },
        { name: 'app', image: 'y' },
      ],
    });
    expect(() => smp(deployment(), patch)).toThrow(
      'strategic merge patch at spec.template.spec.containers: the list is not in the order its $setElementOrder gives',
    );
  });

  it('drops live fields $retainKeys does not list, as when switching a volume source', () => {
    const patch = podSpecPatch({
      volumes: [{ name: 'data', $retainKeys: ['hostPath', 'name'], hostPath: { path: '/srv' } }],
    });
    expect(podSpec(smp(deployment(), patch)).volumes).toEqual([{ name: 'data', hostPath: { path: '/srv' } }]);
  });

  it('drops rollingUpdate when $retainKeys keeps only type, as for a switch to Recreate', () => {
    const result = smp(deployment(), { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } });
    expect((result.spec as Obj).strategy).toEqual({ type: 'Recreate' });
  });

  it('rejects a patch that sets a field its $retainKeys does not list', () => {
    const patch = { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: {} } } };
    expect(() => smp(deployment(), patch)).toThrow(
      'strategic merge patch at spec.strategy: $retainKeys does not list "rollingUpdate", which the patch sets',
    );
  });

  it('replaces a map marked $patch: replace and deletes one marked $patch: delete', () => {
    const result = smp(deployment(), {
      metadata: { labels: { $patch: 'replace', only: 'this' } },
      spec: { strategy: { $patch: 'delete' } },
    });
    expect((result.metadata as Obj).labels).toEqual({ only: 'this' });
    expect(result.spec).not.toHaveProperty('strategy');
  });

  it('replaces a whole list when an item is $patch: replace', () => {
    const patch = podSpecPatch({ containers: [{ $patch: 'replace' }, { name: 'only', image: 'busybox' }] });
    expect(containers(smp(deployment(), patch))).toEqual([{ name: 'only', image: 'busybox' }]);
  });

  it('consumes directives nested in values the target does not have yet', () => {
    const live = { spec: {} };
    const patch = {
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: 'a',
                env: [
                  { name: 'X', $patch: 'delete' },
                  { name: 'Y', value: 'y' },
                ],
              },
            ],
          },
        },
        strategy: { $patch: 'delete' },
        extra: { $patch: 'replace', a: { b: null, c: 1 } },
      },
    };
    const result = smp(live, patch);
    expect(result).toEqual({
      spec: {
        template: { spec: { containers: [{ name: 'a', env: [{ name: 'Y', value: 'y' }] }] } },
        extra: { a: { c: 1 } },
      },
    });
  });

  it('merges custom resource lists by the keys of x-kubernetes-list-map-keys', () => {
    const schema = crdSchema({
      properties: {
        spec: {
          properties: {
            routes: {
              type: 'array',
              'x-kubernetes-list-type': 'map',
              'x-kubernetes-list-map-keys': ['path'],
            },
            hosts: { type: 'array' },
          },
        },
      },
    });
    const live = { spec: { routes: [{ path: '/a', to: 'x' }], hosts: ['a'] } };
    const patch = { spec: { routes: [{ path: '/a', to: 'y' }], hosts: ['b'] } };
    expect(applyStrategicMergePatch(live, patch, schema)).toEqual({
      spec: { routes: [{ path: '/a', to: 'y' }], hosts: ['b'] },
    });
  });

  it.each([
    ['an unknown map directive', { spec: { $patch: 'merge' } }, 'at spec: unknown $patch directive "merge"'],
    [
      'a list item without its merge key',
      podSpecPatch({ containers: [{ image: 'x' }] }),
      'at spec.template.spec.containers: item 0 has no merge key "name"',
    ],
    [
      'an unsupported list item directive',
      podSpecPatch({ containers: [{ name: 'app', $patch: 'merge' }] }),
      'item 0 has unsupported $patch "merge"',
    ],
    [
      'a $retainKeys that is not a list',
      { spec: { $retainKeys: 'type' } },
      '$retainKeys is not a list of field names',
    ],
    [
      'a $deleteFromPrimitiveList that is not a list',
      { metadata: { '$deleteFromPrimitiveList/finalizers': 'a' } },
      '$deleteFromPrimitiveList/finalizers is not a list',
    ],
    [
      'a $setElementOrder that is not a list',
      { metadata: { '$setElementOrder/finalizers': 'a' } },
      'is not a list',
    ],
  ])('rejects %s with a PatchError', (_name, patch, message) => {
    expect(() => smp(deployment(), patch as Obj)).toThrow(PatchError);
    expect(() => smp(deployment(), patch as Obj)).toThrow(message);
  });

  it('never mutates its deep-frozen inputs, even with every directive in one patch', () => {
    const patch = {
      metadata: { labels: { stale: null }, '$deleteFromPrimitiveList/finalizers': ['a'] },
      spec: {
        strategy: { $retainKeys: ['type'], type: 'Recreate' },
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'app' }],
            containers: [{ name: 'app', env: [{ name: 'A', $patch: 'delete' }] }],
            volumes: [{ $patch: 'replace' }],
          },
        },
      },
    };
    const result = smp(deployment(), patch);
    expect(names(containers(result))).toEqual(['sidecar', 'app']);
    expect(containers(result)[1]?.env).toEqual([{ name: 'B', value: '2' }]);
    expect(podSpec(result).volumes).toEqual([]);
    expect(JSON.stringify(result)).not.toMatch(
      /\$(patch|retainKeys|setElementOrder|deleteFromPrimitiveList)/,
    );
  });

  it('returns a result the caller may mutate without touching the target', () => {
    const target = deployment();
    const result = applyStrategicMergePatch(target, { spec: { replicas: 3 } }, builtinSchema);
    (containers(result)[0] as Container).image = 'changed';
    (result.metadata as { finalizers: string[] }).finalizers.push('z');
    expect(target).toEqual(deployment());
  });

  describe('on plain maps', () => {
    const key = fc.string({ maxLength: 6 }).filter((k) => !k.startsWith('$'));
    const scalar = fc.oneof(fc.string({ maxLength: 4 }), fc.integer(), fc.boolean());
    const { tree } = fc.letrec((tie) => ({
      tree: fc.dictionary(key, fc.oneof({ depthSize: 'small' }, scalar, tie('tree')), { maxKeys: 4 }),
    }));
    const { patch } = fc.letrec((tie) => ({
      patch: fc.dictionary(key, fc.oneof({ depthSize: 'small' }, scalar, fc.constant(null), tie('patch')), {
        maxKeys: 4,
      }),
    }));

    it('leaves the target unchanged when the patch is {}', () => {
      fc.assert(
        fc.property(tree, (target) => {
          expect(applyStrategicMergePatch(deepFreeze(target), {}, builtinSchema)).toEqual(target);
        }),
      );
    });

    it('is idempotent: applying a patch twice equals applying it once', () => {
      fc.assert(
        fc.property(tree, patch, (target, p) => {
          const once = applyStrategicMergePatch(target, p, builtinSchema);
          expect(applyStrategicMergePatch(once, p, builtinSchema)).toEqual(once);
        }),
      );
    });
  });
});
