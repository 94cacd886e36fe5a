import * as k8s from '@kubernetes/client-node';
import { builtinSchema, crdSchema } from '../lib/local/sandbox/schema';

describe('builtinSchema', () => {
  it('keys containers by name and container ports by containerPort', () => {
    expect(builtinSchema.list(['spec', 'template', 'spec', 'containers'], [{ name: 'a' }])).toEqual({
      type: 'map',
      keys: ['name'],
    });
    expect(builtinSchema.list(['spec', 'ports'], [{ containerPort: 80 }])).toEqual({
      type: 'map',
      keys: ['containerPort'],
    });
    expect(builtinSchema.list(['spec', 'ports'], [{ port: 80 }])).toEqual({ type: 'map', keys: ['port'] });
  });
  it('treats unknown lists as atomic and spec.selector as an atomic map', () => {
    expect(builtinSchema.list(['spec', 'rules'], [{}])).toEqual({ type: 'atomic' });
    expect(builtinSchema.atomicMap(['spec', 'selector'])).toBe(true);
    expect(builtinSchema.atomicMap(['metadata', 'labels'])).toBe(false);
  });
  it('loads the ESM-only client-node under jest', () => {
    expect(typeof k8s.KubeConfig).toBe('function');
  });
});

describe('crdSchema', () => {
  it('reads x-kubernetes-list-type from the CRD schema', () => {
    const schema = crdSchema({
      properties: {
        spec: {
          properties: {
            items: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['id'] },
            tags: { type: 'array', 'x-kubernetes-list-type': 'set' },
            other: { type: 'array' },
          },
        },
      },
    });
    expect(schema.list(['spec', 'items'], [])).toEqual({ type: 'map', keys: ['id'] });
    expect(schema.list(['spec', 'tags'], [])).toEqual({ type: 'set' });
    expect(schema.list(['spec', 'other'], [])).toEqual({ type: 'atomic' });
  });
});
