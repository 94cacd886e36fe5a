import fc from 'fast-check';
import { compareDeclared, FieldsV1Error, ownedFieldsMissing } from '../../lib/core/drift';
import type { Obj } from '../../lib/core/manifests';
import { builtinSchema } from '../../lib/local/sandbox/schema';
import { serverSideApply } from '../../lib/local/sandbox/ssa';

function deployment(containers: Obj[], extra: Obj = {}): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' } },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers } },
      ...extra,
    },
  };
}

const web: Obj = { name: 'web', image: 'web:1', ports: [{ containerPort: 8080 }] };

describe('compareDeclared', () => {
  it('finds nothing when live equals desired', () => {
    expect(compareDeclared(deployment([web]), deployment([web]))).toEqual([]);
  });

  it('ignores apiVersion, kind, status and metadata other than labels and annotations', () => {
    const live = {
      ...deployment([web]),
      apiVersion: 'apps/v1beta2',
      kind: 'Other',
      metadata: {
        name: 'other',
        namespace: 'elsewhere',
        uid: 'u',
        labels: { app: 'web' },
        managedFields: [],
      },
      status: { replicas: 0 },
    };
    expect(compareDeclared({ ...deployment([web]), status: { replicas: 3 } }, live)).toEqual([]);
  });

  it('ignores fields the server or other managers add', () => {
    const live = deployment([{ ...web, imagePullPolicy: 'IfNotPresent', resources: {} }], {
      progressDeadlineSeconds: 600,
    });
    (live.metadata as Obj).labels = { app: 'web', 'injected.example.com/by': 'webhook' };
    (live.metadata as Obj).annotations = { 'deployment.kubernetes.io/revision': '4' };
    expect(compareDeclared(deployment([web]), live)).toEqual([]);
  });

  it('reports a changed scalar with its path and both values', () => {
    const live = deployment([web]);
    (live.spec as Obj).replicas = 5;
    expect(compareDeclared(deployment([web]), live)).toEqual([
      { path: '.spec.replicas', desired: 3, live: 5 },
    ]);
  });

  it('compares declared labels and annotations, quoting keys with dots or slashes', () => {
    const desired = deployment([web]);
    (desired.metadata as Obj).annotations = { 'example.com/owner': 'team-a', note: 'x' };
    const live = deployment([web]);
    (live.metadata as Obj).labels = { app: 'api' };
    (live.metadata as Obj).annotations = { 'example.com/owner': 'team-b' };
    expect(compareDeclared(desired, live)).toEqual([
      { path: '.metadata.labels.app', desired: 'web', live: 'api' },
      { path: '.metadata.annotations["example.com/owner"]', desired: 'team-a', live: 'team-b' },
      { path: '.metadata.annotations.note', desired: 'x', live: undefined },
    ]);
  });

  it('reports a declared map missing live once, with live undefined', () => {
    const desired = deployment([web], {
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } },
    });
    expect(compareDeclared(desired, deployment([web]))).toEqual([
      {
        path: '.spec.strategy',
        desired: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } },
        live: undefined,
      },
    ]);
  });

  it('matches containers by name whatever their live order, ignoring injected sidecars', () => {
    const sidecar = { name: 'istio-proxy', image: 'proxy:1' };
    const cache = { name: 'cache', image: 'redis:7' };
    expect(compareDeclared(deployment([web, cache]), deployment([sidecar, cache, web]))).toEqual([]);
  });

  it('reports a changed field of a keyed item under the item key', () => {
    const live = deployment([{ ...web, image: 'web:2' }]);
    expect(compareDeclared(deployment([web]), live)).toEqual([
      { path: '.spec.template.spec.containers[name=web].image', desired: 'web:1', live: 'web:2' },
    ]);
  });

  it('reports a desired keyed item missing live as one diff', () => {
    const cache = { name: 'cache', image: 'redis:7' };
    expect(compareDeclared(deployment([web, cache]), deployment([web]))).toEqual([
      { path: '.spec.template.spec.containers[name=cache]', desired: cache, live: undefined },
    ]);
  });

  it('keys env by name, volumeMounts by mountPath and conditions by type', () => {
    const desired: Obj = {
      spec: {
        env: [{ name: 'A', value: '1' }],
        volumeMounts: [{ mountPath: '/data', name: 'data' }],
        conditions: [{ type: 'Ready', status: 'True' }],
      },
    };
    const live: Obj = {
      spec: {
        env: [
          { name: 'B', value: '0' },
          { name: 'A', value: '2' },
        ],
        volumeMounts: [
          { mountPath: '/tmp', name: 'tmp' },
          { mountPath: '/data', name: 'other' },
        ],
        conditions: [{ type: 'Synced', status: 'True' }],
      },
    };
    expect(compareDeclared(desired, live)).toEqual([
      { path: '.spec.env[name=A].value', desired: '1', live: '2' },
      { path: '.spec.volumeMounts[mountPath=/data].name', desired: 'data', live: 'other' },
      { path: '.spec.conditions[type=Ready]', desired: { type: 'Ready', status: 'True' }, live: undefined },
    ]);
  });

  it('keys container ports by containerPort, with the defaulted protocol', () => {
    const live = deployment([
      {
        ...web,
        ports: [
          { containerPort: 9090, protocol: 'TCP' },
          { containerPort: 8080, protocol: 'TCP' },
        ],
      },
    ]);
    expect(compareDeclared(deployment([web]), live)).toEqual([]);
    const udp = deployment([{ ...web, ports: [{ containerPort: 8080, protocol: 'UDP' }] }]);
    expect(compareDeclared(deployment([web]), udp)).toEqual([
      {
        path: '.spec.template.spec.containers[name=web].ports[containerPort=8080]',
        desired: { containerPort: 8080 },
        live: undefined,
      },
    ]);
  });

  it('keys Service ports by port, adding protocol when the port alone repeats', () => {
    const desired: Obj = {
      spec: {
        ports: [
          { port: 53, protocol: 'UDP', targetPort: 5353 },
          { port: 53, protocol: 'TCP', targetPort: 5353 },
        ],
      },
    };
    const live: Obj = {
      spec: {
        ports: [
          { port: 53, protocol: 'TCP', targetPort: 5353 },
          { port: 53, protocol: 'UDP', targetPort: 53 },
        ],
      },
    };
    expect(compareDeclared(desired, live)).toEqual([
      { path: '.spec.ports[port=53,protocol=UDP].targetPort', desired: 5353, live: 53 },
    ]);
  });

  it('keys any list whose desired items all have unique names', () => {
    const desired: Obj = {
      spec: {
        targets: [
          { name: 'a', weight: 1 },
          { name: 'b', weight: 2 },
        ],
      },
    };
    const live: Obj = {
      spec: {
        targets: [
          { name: 'b', weight: 3 },
          { name: 'a', weight: 1 },
        ],
      },
    };
    expect(compareDeclared(desired, live)).toEqual([
      { path: '.spec.targets[name=b].weight', desired: 2, live: 3 },
    ]);
  });

  it('falls back to positions when desired names repeat', () => {
    const desired: Obj = {
      spec: {
        targets: [
          { name: 'a', weight: 1 },
          { name: 'a', weight: 2 },
        ],
      },
    };
    const live: Obj = {
      spec: {
        targets: [
          { name: 'a', weight: 2 },
          { name: 'a', weight: 2 },
        ],
      },
    };
    expect(compareDeclared(desired, live)).toEqual([
      { path: '.spec.targets[0].weight', desired: 1, live: 2 },
    ]);
  });

  it('compares other lists by position when lengths match', () => {
    const desired: Obj = {
      spec: { args: ['--a', '--b', '--c'], tolerations: [{ key: 'k', operator: 'Exists' }] },
    };
    const live: Obj = {
      spec: {
        args: ['--a', '--b', '--d'],
        tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoSchedule' }],
      },
    };
    expect(compareDeclared(desired, live)).toEqual([{ path: '.spec.args[2]', desired: '--c', live: '--d' }]);
  });

  it('reports a list of another length as one whole-value diff', () => {
    const desired: Obj = { spec: { args: ['--a'] } };
    const live: Obj = { spec: { args: ['--a', '--b'] } };
    expect(compareDeclared(desired, live)).toEqual([
      { path: '.spec.args', desired: ['--a'], live: ['--a', '--b'] },
    ]);
  });

  it('keeps scalars strict: a numeric string is not its number, nor 1Gi 1024Mi', () => {
    const desired: Obj = { spec: { replicas: '3', memory: '1Gi' } };
    const live: Obj = { spec: { replicas: 3, memory: '1024Mi' } };
    expect(compareDeclared(desired, live)).toEqual([
      { path: '.spec.replicas', desired: '3', live: 3 },
      { path: '.spec.memory', desired: '1Gi', live: '1024Mi' },
    ]);
  });

  it('reports a type change as a whole-value diff', () => {
    expect(compareDeclared({ spec: { a: { b: 1 } } }, { spec: { a: 'b' } })).toEqual([
      { path: '.spec.a', desired: { b: 1 }, live: 'b' },
    ]);
    expect(compareDeclared({ spec: { a: [1] } }, { spec: { a: { 0: 1 } } })).toEqual([
      { path: '.spec.a', desired: [1], live: { 0: 1 } },
    ]);
  });

  it('treats declared zero values as matching a field the server omitted', () => {
    const desired = deployment([web], {
      paused: false,
      minReadySeconds: 0,
      tolerations: [],
      nodeSelector: {},
      x: '',
      y: null,
    });
    (desired.metadata as Obj).annotations = {};
    expect(compareDeclared(desired, deployment([web]))).toEqual([]);
  });

  it('ignores a declared null even when the live field is set', () => {
    expect(compareDeclared({ spec: { replicas: null } }, { spec: { replicas: 2 } })).toEqual([]);
  });

  it('quotes keys with characters that are not plain', () => {
    expect(
      compareDeclared({ data: { 'app.conf': 'a', 'x y': 'b' } }, { data: { 'app.conf': 'c', 'x y': 'd' } }),
    ).toEqual([
      { path: '.data["app.conf"]', desired: 'a', live: 'c' },
      { path: '.data["x y"]', desired: 'b', live: 'd' },
    ]);
  });
});

describe('ownedFieldsMissing', () => {
  const fields: Obj = {
    'f:metadata': {
      'f:name': {},
      'f:namespace': {},
      'f:labels': { '.': {}, 'f:app': {}, 'f:team': {} },
      'f:annotations': { 'f:example.com/owner': {} },
      'f:finalizers': { 'v:"example.com/cleanup"': {} },
    },
    'f:spec': {
      'f:replicas': {},
      'f:template': {
        'f:spec': {
          'f:containers': {
            'k:{"name":"web"}': {
              '.': {},
              'f:name': {},
              'f:image': {},
              'f:imagePullPolicy': {},
              'f:ports': { 'k:{"containerPort":8080,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
            },
            'k:{"name":"cache"}': { '.': {}, 'f:name': {}, 'f:image': {} },
          },
        },
      },
    },
    'f:status': { 'f:replicas': {} },
  };

  it('returns nothing when the manifest still sets every owned field', () => {
    const desired = deployment([
      { ...web, imagePullPolicy: 'Always' },
      { name: 'cache', image: 'redis:7' },
    ]);
    (desired.metadata as Obj).labels = { app: 'web', team: 'a' };
    (desired.metadata as Obj).annotations = { 'example.com/owner': 'a' };
    expect(ownedFieldsMissing(fields, desired)).toEqual([]);
  });

  it('returns the top-most owned paths the manifest dropped, skipping identity metadata and status', () => {
    const desired = deployment([web]);
    delete (desired.spec as Obj).replicas;
    expect(ownedFieldsMissing(fields, desired)).toEqual([
      '.metadata.labels.team',
      '.metadata.annotations["example.com/owner"]',
      '.spec.replicas',
      '.spec.template.spec.containers[name=web].imagePullPolicy',
      '.spec.template.spec.containers[name=cache]',
    ]);
  });

  it('counts a field the manifest sets to null as declared, as server-side apply owns it', () => {
    // `kubectl create deployment … -o yaml` and kubebuilder write `creationTimestamp: null`.
    const owned = {
      'f:spec': {
        'f:template': { 'f:metadata': { 'f:creationTimestamp': {}, 'f:labels': { 'f:app': {} } } },
      },
    };
    const declared = {
      spec: { template: { metadata: { creationTimestamp: null, labels: { app: 'web' } } } },
    };
    expect(ownedFieldsMissing(owned, declared)).toEqual([]);
    // Dropped from the manifest it is missing; a null map drops what was owned under it.
    expect(
      ownedFieldsMissing(owned, { spec: { template: { metadata: { labels: { app: 'web' } } } } }),
    ).toEqual(['.spec.template.metadata.creationTimestamp']);
    expect(ownedFieldsMissing(owned, { spec: { template: { metadata: null } } })).toEqual([
      '.spec.template.metadata.creationTimestamp',
      '.spec.template.metadata.labels.app',
    ]);
  });

  it('matches keyed items on all key fields, defaulting protocol to TCP', () => {
    const udp = { fieldsV1: { 'f:spec': { 'f:ports': { 'k:{"port":53,"protocol":"UDP"}': {} } } } };
    expect(ownedFieldsMissing(udp.fieldsV1, { spec: { ports: [{ port: 53 }] } })).toEqual([
      '.spec.ports[port=53,protocol=UDP]',
    ]);
    expect(ownedFieldsMissing(udp.fieldsV1, { spec: { ports: [{ port: 53, protocol: 'UDP' }] } })).toEqual(
      [],
    );
  });

  it('matches set items by value and list items by index', () => {
    const v1: Obj = { 'f:spec': { 'f:tags': { 'v:"a"': {}, 'v:"b"': {} }, 'f:args': { 'i:1': {} } } };
    expect(ownedFieldsMissing(v1, { spec: { tags: ['b'], args: ['x'] } })).toEqual([
      '.spec.tags[=a]',
      '.spec.args[1]',
    ]);
    expect(ownedFieldsMissing(v1, { spec: { tags: ['a', 'b'], args: ['x', 'y'] } })).toEqual([]);
  });

  it.each([
    ['undefined', undefined, /at \(root\): want an object, got undefined/],
    ['null', null, /got null/],
    ['an array', [], /got an array/],
    ['a string', '{"f:spec":{}}', /got string/],
    ['an unknown element', { 'f:spec': { 'x:y': {} } }, /at \.spec: unknown path element "x:y"/],
    ['an empty field name', { 'f:': {} }, /unknown path element "f:"/],
    [
      'a key that is not JSON',
      { 'f:spec': { 'f:ports': { 'k:{port:1}': {} } } },
      /at \.spec\.ports: path element "k:\{port:1\}" is not JSON/,
    ],
    ['a key that is not an object', { 'f:spec': { 'f:ports': { 'k:[1]': {} } } }, /unknown path element/],
    ['a bad index', { 'f:spec': { 'f:args': { 'i:-1': {} } } }, /unknown path element "i:-1"/],
    [
      'a child that is not an object',
      { 'f:spec': { 'f:replicas': true } },
      /at \.spec\.replicas: want an object, got boolean/,
    ],
    ['corruption under a dropped field', { 'f:spec': { 'f:gone': { 'f:x': 1 } } }, /at \.spec\.gone\.x/],
    ['corruption under ignored metadata', { 'f:metadata': { 'f:name': 'x' } }, /at \.metadata\.name/],
    ['corruption under status', { 'f:status': { bogus: {} } }, /at \.status: unknown path element/],
  ])('throws FieldsV1Error for %s', (_what, input, message) => {
    const desired = {
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'shop' },
      spec: { replicas: 1 },
    };
    expect(() => ownedFieldsMissing(input, desired)).toThrow(FieldsV1Error);
    expect(() => ownedFieldsMissing(input, desired)).toThrow(message);
    expect(() => ownedFieldsMissing(input, desired)).toThrow(/^Deployment\/shop\/web: /);
  });

  it('reads the fieldsV1 a server-side apply records, finding exactly what a later manifest drops', () => {
    const first = deployment([web, { name: 'cache', image: 'redis:7' }]);
    const live = serverSideApply({
      live: undefined,
      applied: first,
      manager: 'plumbline',
      force: false,
      apiVersion: 'apps/v1',
      schema: builtinSchema,
      now: '2024-05-01T10:00:00Z',
      ignoreStatus: true,
    });
    const entries = (live.metadata as Obj).managedFields as Obj[];
    const entry = entries.find((e) => e.manager === 'plumbline' && e.operation === 'Apply');
    expect(ownedFieldsMissing(entry?.fieldsV1, first)).toEqual([]);
    const second = deployment([{ name: 'web', image: 'web:2' }]);
    delete (second.spec as Obj).replicas;
    expect(ownedFieldsMissing(entry?.fieldsV1, second)).toEqual([
      '.spec.replicas',
      '.spec.template.spec.containers[name=cache]',
      '.spec.template.spec.containers[name=web].ports[containerPort=8080]',
    ]);
  });
});

// JSON-like trees without keyed lists (no `name`-style keys, no table field names), so every scalar
// leaf has one path that a test can compute independently.
const KEYS = ['a', 'b', 'c', 'd'] as const;
const scalar = fc.oneof(fc.string({ maxLength: 4 }), fc.integer(), fc.boolean());
const { tree } = fc.letrec<{ tree: unknown; node: unknown }>((tie) => ({
  tree: fc.dictionary(fc.constantFrom(...KEYS), tie('node'), { maxKeys: 4 }),
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    tie('tree'),
    fc.array(fc.oneof(scalar, tie('tree')), { maxLength: 3 }),
  ),
}));
const manifests = tree.map(
  (spec) => ({ apiVersion: 'v1', kind: 'Thing', metadata: { name: 'x' }, spec }) as Obj,
);

type Step = string | number;

/** Every scalar leaf: its steps from the root and its value. */
function leaves(value: unknown, steps: Step[] = []): [Step[], unknown][] {
  if (Array.isArray(value)) return value.flatMap((item, i) => leaves(item, [...steps, i]));
  if (typeof value === 'object' && value !== null)
    return Object.entries(value).flatMap(([key, child]) => leaves(child, [...steps, key]));
  return [[steps, value]];
}

function setAt(root: unknown, steps: readonly Step[], value: unknown): void {
  let here = root as Record<Step, unknown>;
  for (const step of steps.slice(0, -1)) here = here[step] as Record<Step, unknown>;
  here[steps[steps.length - 1] ?? ''] = value;
}

/** Adds an undeclared key to every map inside `value` (list items included). */
function withExtraFields(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withExtraFields);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = { extra: { injected: true } };
  for (const [key, child] of Object.entries(value)) out[key] = withExtraFields(child);
  return out;
}

describe('compareDeclared on empty strings', () => {
  it('takes a declared "" as unset where the server defaults it, and as a value in data and metadata', () => {
    const desired = {
      spec: { type: '', template: { spec: { containers: [{ name: 'web', imagePullPolicy: '' }] } } },
      data: { empty: '' },
      metadata: { labels: { tier: '' }, annotations: { note: '' } },
    };
    const live = {
      spec: {
        type: 'ClusterIP',
        template: { spec: { containers: [{ name: 'web', imagePullPolicy: 'IfNotPresent' }] } },
      },
      data: { empty: 'filled' },
      metadata: { labels: { tier: 'web' }, annotations: { note: 'x' } },
    };
    expect(compareDeclared(desired, live).map((d) => d.path)).toEqual([
      '.metadata.labels.tier',
      '.metadata.annotations.note',
      '.data.empty',
    ]);
  });
});

describe('compareDeclared properties', () => {
  it('finds no drift between a manifest and itself', () => {
    fc.assert(fc.property(manifests, (m) => expect(compareDeclared(m, structuredClone(m))).toEqual([])));
  });

  it('never reports fields that live adds and the manifest does not declare', () => {
    fc.assert(
      fc.property(manifests, (m) => {
        const live = withExtraFields(m) as Obj;
        live.status = { ready: true };
        expect(compareDeclared(m, live)).toEqual([]);
      }),
    );
  });

  it('reports exactly the one declared leaf that changed live, at its path', () => {
    // A declared "" is no opinion outside data and metadata (the server defaults it): not a leaf here.
    const withLeaf = manifests
      .map((m) => [m, leaves(m.spec, ['spec']).filter(([, value]) => value !== '')] as const)
      .filter(([, found]) => found.length > 0)
      .chain(([m, found]) => fc.tuple(fc.constant(m), fc.constantFrom(...found)));
    fc.assert(
      fc.property(withLeaf, ([m, [steps, value]]) => {
        const live = structuredClone(m);
        const changed =
          typeof value === 'string' ? `${value}!` : typeof value === 'number' ? value + 1 : !value;
        setAt(live, steps, changed);
        const path = steps.map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`)).join('');
        expect(compareDeclared(m, live)).toEqual([{ path, desired: value, live: changed }]);
      }),
    );
  });
});
