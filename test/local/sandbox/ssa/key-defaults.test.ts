import { crdSchema, type Obj } from '../../../../lib/local/sandbox/schema';
import { InvalidApplyError } from '../../../../lib/local/sandbox/ssa';
import { apply, entryOf } from './objects';

/** A CRD's ports, keyed as prometheus-operator's containers are: by containerPort and protocol. */
const schema = (protocol: Obj) =>
  crdSchema({
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        properties: {
          ports: {
            type: 'array',
            'x-kubernetes-list-type': 'map',
            'x-kubernetes-list-map-keys': ['containerPort', 'protocol'],
            items: {
              type: 'object',
              properties: { containerPort: { type: 'integer' }, protocol, name: { type: 'string' } },
            },
          },
        },
      },
    },
  });

const route = (ports: Obj[]): Obj => ({
  apiVersion: 'example.com/v1',
  kind: 'Route',
  metadata: { name: 'r', namespace: 'default' },
  spec: { ports },
});

describe('serverSideApply with list-map key defaults', () => {
  it('keys an item that omits a key field by the schema default of that field', () => {
    const withDefault = schema({ type: 'string', default: 'TCP' });
    const first = apply(undefined, route([{ containerPort: 80, name: 'http' }]), 'kubectl', {
      schema: withDefault,
    });
    expect(entryOf(first, 'kubectl')?.fieldsV1).toMatchObject({
      'f:spec': { 'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { 'f:name': {} } } },
    });
    // The same item written with the default spelled out is the same item, not a second one.
    const second = apply(first, route([{ containerPort: 80, protocol: 'TCP', name: 'web' }]), 'kubectl', {
      schema: withDefault,
    });
    expect((second.spec as { ports: unknown[] }).ports).toEqual([
      { containerPort: 80, protocol: 'TCP', name: 'web' },
    ]);
  });

  it('refuses the item when the key field has no default, naming the field', () => {
    expect(() =>
      apply(undefined, route([{ containerPort: 80 }]), 'kubectl', { schema: schema({ type: 'string' }) }),
    ).toThrow(
      new InvalidApplyError(
        '.spec.ports: element 0: associative list with keys has an element that omits key field "protocol" (and doesn\'t have default value)',
      ),
    );
  });
});
