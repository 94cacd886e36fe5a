import type { Obj } from '../../../../lib/local/sandbox/schema';
import { ApplyConflictError, InvalidApplyError } from '../../../../lib/local/sandbox/ssa';
import {
  apply,
  configMap,
  containers,
  containsFrozen,
  deepFreeze,
  deployment,
  entries,
  entryOf,
  owned,
  T0,
  T1,
  T2,
  update,
  withoutManagedFields,
} from './objects';

function conflictOf(fn: () => unknown): ApplyConflictError {
  try {
    fn();
  } catch (e: unknown) {
    if (e instanceof ApplyConflictError) return e;
    throw e;
  }
  throw new Error('expected an ApplyConflictError');
}

const web = (replicas: number, image = 'nginx:1') =>
  deployment({ replicas, containers: [{ name: 'nginx', image, ports: [80] }] });

describe('serverSideApply', () => {
  it('creates the object with one Apply entry owning what was applied', () => {
    const applied = configMap({ key: 'v' }, { app: 'x' });
    const out = apply(undefined, applied, 'kubectl');
    expect(withoutManagedFields(out)).toEqual(applied);
    expect(entries(out)).toEqual([
      {
        manager: 'kubectl',
        operation: 'Apply',
        apiVersion: 'v1',
        time: T0,
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:data': { 'f:key': {} }, 'f:metadata': { 'f:labels': { 'f:app': {} } } },
      },
    ]);
  });

  it('returns the same object, time included, when the same configuration is applied again', () => {
    const first = apply(undefined, web(2), 'kubectl');
    const second = apply(first, web(2), 'kubectl', { now: T1 });
    expect(second).toEqual(first);
    expect(entryOf(second, 'kubectl')?.time).toBe(T0);
  });

  it('stamps the entry with the new time when the apply changes the object', () => {
    const first = apply(undefined, web(2), 'kubectl');
    expect(entryOf(apply(first, web(3), 'kubectl', { now: T1 }), 'kubectl')?.time).toBe(T1);
  });

  it('removes a label the manager stops applying', () => {
    const first = apply(undefined, configMap({ k: 'v' }, { app: 'x', tier: 'fe' }), 'kubectl');
    const second = apply(first, configMap({ k: 'v' }, { app: 'x' }), 'kubectl');
    expect((second.metadata as Obj).labels).toEqual({ app: 'x' });
    expect(owned(second, 'kubectl')).toEqual(['.data.k', '.metadata.labels.app']);
  });

  it('removes the whole labels map, but keeps the name, when no label is applied any more', () => {
    const first = apply(undefined, configMap({ k: 'v' }, { app: 'x' }), 'kubectl');
    const second = apply(first, configMap({ k: 'v' }), 'kubectl');
    expect(second.metadata).toEqual({
      name: 'settings',
      namespace: 'default',
      managedFields: entries(second),
    });
  });

  it('rejects a different value for a field another manager applied, naming manager and field', () => {
    const live = apply(undefined, web(2), 'kubectl');
    const err = conflictOf(() => apply(live, web(3), 'helm'));
    expect(err.conflicts).toEqual([
      { manager: 'kubectl', field: '.spec.replicas', message: 'conflict with "kubectl"' },
    ]);
    expect(err.message).toBe('Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas');
    expect(err.name).toBe('ApplyConflictError');
  });

  it('lists every conflict, grouped by manager, in path order', () => {
    const live = apply(undefined, web(2), 'kubectl');
    const err = conflictOf(() => apply(live, web(3, 'nginx:2'), 'helm'));
    expect(err.conflicts.map((c) => c.field)).toEqual([
      '.spec.replicas',
      '.spec.template.spec.containers[name="nginx"].image',
    ]);
    expect(err.message).toBe(
      'Apply failed with 2 conflicts: conflicts with "kubectl":\n- .spec.replicas\n' +
        '- .spec.template.spec.containers[name="nginx"].image',
    );
  });

  it('takes the field with force: the value changes and the first manager loses it', () => {
    const live = apply(undefined, web(2), 'kubectl');
    const out = apply(live, deployment({ replicas: 3, containers: [] }), 'helm', { force: true, now: T1 });
    expect((out.spec as Obj).replicas).toBe(3);
    expect(owned(out, 'kubectl')).not.toContain('.spec.replicas');
    expect(owned(out, 'kubectl')).toContain('.spec.template.spec.containers[name="nginx"].image');
    expect(owned(out, 'helm')).toContain('.spec.replicas');
    expect(containers(out)).toHaveLength(1);
  });

  it('shares a field two managers apply with the same value, without conflict', () => {
    const live = apply(undefined, web(2), 'kubectl');
    const out = apply(live, deployment({ replicas: 2, containers: [] }), 'helm', { now: T1 });
    expect(owned(out, 'kubectl')).toContain('.spec.replicas');
    expect(owned(out, 'helm')).toContain('.spec.replicas');
    expect(entries(out).map((e) => e.manager)).toEqual(['kubectl', 'helm']);
  });

  it('keeps a shared field when one of its managers stops applying it', () => {
    const shared = apply(
      apply(undefined, web(2), 'kubectl'),
      deployment({ replicas: 2, containers: [] }),
      'helm',
    );
    const out = apply(
      shared,
      deployment({ containers: [{ name: 'nginx', image: 'nginx:1', ports: [80] }] }),
      'kubectl',
    );
    expect((out.spec as Obj).replicas).toBe(2);
    expect(owned(out, 'kubectl')).not.toContain('.spec.replicas');
    expect(owned(out, 'helm')).toContain('.spec.replicas');
  });

  it('removes just the container the manager stops applying', () => {
    const two = deployment({
      containers: [
        { name: 'nginx', image: 'nginx:1', env: { A: '1' } },
        { name: 'sidecar', image: 'envoy:1' },
      ],
    });
    const one = deployment({ containers: [{ name: 'nginx', image: 'nginx:1', env: { A: '1' } }] });
    const out = apply(apply(undefined, two, 'kubectl'), one, 'kubectl');
    expect(containers(out)).toEqual([{ name: 'nginx', image: 'nginx:1', env: [{ name: 'A', value: '1' }] }]);
    expect(owned(out, 'kubectl').filter((p) => p.includes('sidecar'))).toEqual([]);
  });

  it('keeps an item another manager owns fields in, with its key, removing only the applier’s fields', () => {
    const withSidecar = deployment({ containers: [{ name: 'sidecar', image: 'envoy:1', ports: [9901] }] });
    const live = apply(undefined, withSidecar, 'kubectl');
    // A controller changes the sidecar's image through an update.
    const edited = structuredClone(live);
    (containers(edited)[0] as Obj).image = 'envoy:2';
    const afterEdit = update(live, edited, 'injector');
    const out = apply(afterEdit, deployment({ containers: [] }), 'kubectl');
    expect(containers(out)).toEqual([{ name: 'sidecar', image: 'envoy:2' }]);
  });

  it('leaves fields of other managers and unowned server fields untouched', () => {
    const live = apply(undefined, configMap({ a: '1', b: '2' }, { app: 'x' }), 'kubectl');
    const labelled = apply(
      live,
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', labels: { team: 'core' } } },
      'labeller',
    );
    const withServerFields = structuredClone(labelled);
    Object.assign(withServerFields.metadata as Obj, { uid: 'u-1', resourceVersion: '5' });
    const out = apply(withServerFields, configMap({ a: '1' }), 'kubectl', { now: T1 });
    expect(out.data).toEqual({ a: '1' });
    expect((out.metadata as Obj).labels).toEqual({ team: 'core' });
    expect(out.metadata).toMatchObject({ uid: 'u-1', resourceVersion: '5' });
    expect(owned(out, 'labeller')).toEqual(['.metadata.labels.team']);
  });

  it('conflicts with a kubectl edit and takes the field back with force', () => {
    const live = apply(undefined, web(2), 'kubectl');
    const edited = structuredClone(live);
    (edited.spec as Obj).replicas = 5;
    const afterEdit = update(live, edited, 'kubectl-edit', { now: T1 });
    expect(owned(afterEdit, 'kubectl-edit', 'Update')).toEqual(['.spec.replicas']);
    expect(owned(afterEdit, 'kubectl')).not.toContain('.spec.replicas');

    const err = conflictOf(() => apply(afterEdit, web(2), 'kubectl', { now: T2 }));
    expect(err.message).toBe(
      'Apply failed with 1 conflict: conflict with "kubectl-edit" using apps/v1: .spec.replicas',
    );

    const forced = apply(afterEdit, web(2), 'kubectl', { now: T2, force: true });
    expect((forced.spec as Obj).replicas).toBe(2);
    expect(entryOf(forced, 'kubectl-edit')).toBeUndefined();
    expect(owned(forced, 'kubectl')).toContain('.spec.replicas');
  });

  it('conflicts with the client-side apply that created a ConfigMap', () => {
    const created = update(undefined, configMap({ key: 'v' }), 'kubectl-client-side-apply');
    const err = conflictOf(() => apply(created, configMap({ key: 'w' }), 'kubectl'));
    expect(err.message).toBe(
      'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1: .data.key',
    );
  });

  it('gives an object that has no managedFields to before-first-apply', () => {
    const untracked = configMap({ key: 'v', other: 'o' });
    const err = conflictOf(() => apply(untracked, configMap({ key: 'w' }), 'kubectl'));
    expect(err.conflicts[0]?.manager).toBe('before-first-apply');
    const out = apply(untracked, configMap({ key: 'v' }), 'kubectl');
    expect(owned(out, 'before-first-apply', 'Update')).toEqual(['.data.key', '.data.other']);
    expect(owned(out, 'kubectl')).toEqual(['.data.key']);
  });

  it('does not mutate its inputs and returns an object that shares nothing with them', () => {
    const live = deepFreeze(
      apply(
        undefined,
        deployment({
          replicas: 1,
          containers: [
            { name: 'a', image: 'x' },
            { name: 'b', image: 'y' },
          ],
        }),
        'm',
      ),
    );
    const applied = deepFreeze(deployment({ replicas: 2, containers: [{ name: 'a', image: 'z' }] }));
    const out = apply(live, applied, 'other', { force: true });
    expect(containsFrozen(out)).toBe(false);
    expect(containers(out).map((c) => c.name)).toEqual(['a', 'b']);
    const again = apply(
      deepFreeze(out),
      deployment({ replicas: 1, containers: [{ name: 'a', image: 'x' }] }),
      'm',
      {
        force: true,
      },
    );
    expect(containsFrozen(again)).toBe(false);
    expect(containers(again)).toEqual([{ name: 'a', image: 'x' }]);
  });

  it('puts applied items in applied order and keeps other items in their place', () => {
    const live = apply(
      undefined,
      deployment({
        containers: [
          { name: 'a', image: '1' },
          { name: 'b', image: '1' },
        ],
      }),
      'one',
    );
    const out = apply(
      live,
      deployment({
        containers: [
          { name: 'c', image: '1' },
          { name: 'a', image: '1' },
        ],
      }),
      'two',
    );
    expect(containers(out).map((c) => c.name)).toEqual(['c', 'a', 'b']);
  });

  it('merges set lists and removes the members a manager stops applying', () => {
    const withFinalizers = (...finalizers: string[]) => {
      const cm = configMap({});
      (cm.metadata as Obj).finalizers = finalizers;
      return cm;
    };
    const live = apply(apply(undefined, withFinalizers('a', 'b'), 'one'), withFinalizers('c', 'b'), 'two');
    expect((live.metadata as Obj).finalizers).toEqual(['a', 'c', 'b']);
    const out = apply(live, withFinalizers('a'), 'one');
    expect((out.metadata as Obj).finalizers).toEqual(['a', 'c', 'b']);
    const last = apply(out, withFinalizers('c'), 'two');
    expect((last.metadata as Obj).finalizers).toEqual(['a', 'c']);
  });

  it('ignores status on the main resource and keeps the live status', () => {
    const live = { ...configMap({ k: 'v' }), status: { phase: 'Ready' } };
    const out = apply(
      update(undefined, live, 'creator'),
      { ...configMap({ k: 'v' }), status: { phase: 'Other' } },
      'kubectl',
    );
    expect(out.status).toEqual({ phase: 'Ready' });
    expect(owned(out, 'kubectl')).toEqual(['.data.k']);
  });

  it('rejects a keyed item without its key, duplicate keys and managedFields in the request', () => {
    const noName = deployment({ containers: [] });
    ((noName.spec as Obj).template as { spec: Obj }).spec.containers = [{ image: 'x' }];
    expect(() => apply(undefined, noName, 'm')).toThrow(
      new InvalidApplyError(
        '.spec.template.spec.containers: element 0: associative list with keys has an element that omits key field "name" (and doesn\'t have default value)',
      ),
    );
    const dup = deployment({
      containers: [
        { name: 'a', image: '1' },
        { name: 'a', image: '2' },
      ],
    });
    expect(() => apply(undefined, dup, 'm')).toThrow('duplicate entries for key [name="a"]');
    const withEntries = configMap({});
    (withEntries.metadata as Obj).managedFields = [];
    expect(() => apply(undefined, withEntries, 'm')).toThrow(InvalidApplyError);
  });
});
