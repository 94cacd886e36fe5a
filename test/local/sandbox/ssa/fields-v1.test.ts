import { builtinSchema, crdSchema } from '../../../../lib/local/sandbox/schema';
import {
  FieldSet,
  fieldSetOf,
  formatPath,
  fromFieldsV1,
  toFieldsV1,
} from '../../../../lib/local/sandbox/ssa';
import { configMap, deployment } from './objects';

const deploymentFields = {
  'f:metadata': { 'f:labels': { 'f:app': {}, 'f:tier': {} } },
  'f:spec': {
    'f:replicas': {},
    'f:selector': {},
    'f:template': {
      'f:metadata': { 'f:labels': { 'f:app': {} } },
      'f:spec': {
        'f:containers': {
          'k:{"name":"nginx"}': {
            '.': {},
            'f:env': {
              'k:{"name":"LOG"}': { '.': {}, 'f:name': {}, 'f:value': {} },
              'k:{"name":"MODE"}': { '.': {}, 'f:name': {}, 'f:value': {} },
            },
            'f:image': {},
            'f:name': {},
            'f:ports': {
              'k:{"containerPort":80}': { '.': {}, 'f:containerPort': {}, 'f:protocol': {} },
              'k:{"containerPort":8080}': { '.': {}, 'f:containerPort': {}, 'f:protocol': {} },
            },
          },
        },
      },
    },
  },
};

describe('fieldSetOf and toFieldsV1', () => {
  it('encodes a Deployment the way Kubernetes prints an applier entry', () => {
    const obj = deployment({
      replicas: 2,
      labels: { app: 'web', tier: 'frontend' },
      containers: [{ name: 'nginx', image: 'nginx:1', ports: [8080, 80], env: { MODE: 'x', LOG: 'debug' } }],
    });
    const encoded = toFieldsV1(fieldSetOf(obj, builtinSchema, true));
    expect(encoded).toEqual(deploymentFields);
    // Key order matters: the server returns these bytes. Ports sort by value, 80 before 8080.
    expect(JSON.stringify(encoded)).toBe(JSON.stringify(deploymentFields));
  });

  it('encodes a ConfigMap and leaves out identity and server-owned metadata', () => {
    const obj = configMap({ key: 'v', other: 'w' }, { app: 'x' });
    (obj.metadata as Record<string, unknown>).uid = 'u-1';
    (obj.metadata as Record<string, unknown>).resourceVersion = '7';
    expect(JSON.stringify(toFieldsV1(fieldSetOf(obj, builtinSchema, true)))).toBe(
      '{"f:data":{"f:key":{},"f:other":{}},"f:metadata":{"f:labels":{"f:app":{}}}}',
    );
  });

  it('makes leaves of empty maps, null, atomic lists and atomic maps, members of set items, and nothing of an empty keyed list', () => {
    const obj = {
      apiVersion: 'v1',
      kind: 'Thing',
      metadata: { name: 'n', finalizers: ['b', 'a'] },
      spec: { empty: {}, gone: null, args: ['x', 'y'], selector: { app: 'a' }, none: [], containers: [] },
      status: { phase: 'Running' },
    };
    const set = fieldSetOf(obj, builtinSchema, true);
    expect(set.members().map(formatPath)).toEqual([
      '.metadata.finalizers[="a"]',
      '.metadata.finalizers[="b"]',
      '.spec.args',
      '.spec.empty',
      '.spec.gone',
      '.spec.none',
      '.spec.selector',
    ]);
    expect(fieldSetOf(obj, builtinSchema, false).has(['f:status', 'f:phase'])).toBe(true);
  });

  it('orders keys of several fields and uses the schema of a custom resource', () => {
    const schema = crdSchema({
      properties: {
        spec: {
          properties: {
            rules: {
              type: 'array',
              'x-kubernetes-list-type': 'map',
              'x-kubernetes-list-map-keys': ['port', 'host'],
            },
          },
        },
      },
    });
    const obj = {
      spec: {
        rules: [
          { port: 9, host: 'b' },
          { port: 9, host: 'a', weight: 1 },
        ],
      },
    };
    expect(JSON.stringify(toFieldsV1(fieldSetOf(obj, schema, true)))).toBe(
      '{"f:spec":{"f:rules":{"k:{\\"host\\":\\"a\\",\\"port\\":9}":{".":{},"f:host":{},"f:port":{},"f:weight":{}},' +
        '"k:{\\"host\\":\\"b\\",\\"port\\":9}":{".":{},"f:host":{},"f:port":{}}}}}',
    );
  });
});

describe('fromFieldsV1', () => {
  it('round-trips a Deployment and a ConfigMap entry', () => {
    for (const fields of [
      deploymentFields,
      { 'f:data': { '.': {}, 'f:key': {} }, 'f:metadata': { 'f:labels': {} } },
    ]) {
      const set = fromFieldsV1(fields);
      expect(toFieldsV1(set)).toEqual(fields);
      expect(fromFieldsV1(toFieldsV1(set)).equals(set)).toBe(true);
    }
  });

  it('reads a keyed item as a member and its fields as children', () => {
    const set = fromFieldsV1(deploymentFields);
    const item = ['f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"nginx"}'];
    expect(set.has(item)).toBe(true);
    expect(set.has([...item, 'f:image'])).toBe(true);
    expect(set.has(['f:spec', 'f:template'])).toBe(false);
  });

  it('drops elements of unknown kinds and sorts what arrives unsorted', () => {
    const set = fromFieldsV1({ 'f:b': {}, 'x:future': {}, 'f:a': { 'f:z': {}, 'f:y': {} } });
    expect(JSON.stringify(toFieldsV1(set))).toBe('{"f:a":{"f:y":{},"f:z":{}},"f:b":{}}');
  });

  it('formats keyed, set and field elements as Kubernetes prints conflict paths', () => {
    expect(formatPath(['f:spec', 'f:containers', 'k:{"name":"nginx"}', 'f:image'])).toBe(
      '.spec.containers[name="nginx"].image',
    );
    expect(formatPath(['f:ports', 'k:{"containerPort":80,"protocol":"TCP"}'])).toBe(
      '.ports[containerPort=80,protocol="TCP"]',
    );
    expect(formatPath(['f:metadata', 'f:finalizers', 'v:"a"'])).toBe('.metadata.finalizers[="a"]');
    expect(new FieldSet().isEmpty()).toBe(true);
  });
});
