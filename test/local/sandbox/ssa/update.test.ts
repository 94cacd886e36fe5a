import type { Obj } from '../../../../lib/local/sandbox/schema';
import {
  apply,
  configMap,
  containers,
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

describe('trackUpdate', () => {
  it('gives the creator everything, with the "." entries Kubernetes writes for updaters', () => {
    const out = update(undefined, configMap({ key: 'v' }, { a: 'b' }), 'kubectl-create');
    expect(entries(out)).toEqual([
      {
        manager: 'kubectl-create',
        operation: 'Update',
        apiVersion: 'v1',
        time: T0,
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:data': { '.': {}, 'f:key': {} },
          'f:metadata': { 'f:labels': { '.': {}, 'f:a': {} } },
        },
      },
    ]);
    expect(JSON.stringify(entries(out)[0]?.fieldsV1)).toBe(
      '{"f:data":{".":{},"f:key":{}},"f:metadata":{"f:labels":{".":{},"f:a":{}}}}',
    );
  });

  it('moves a changed field to the writer and leaves unchanged fields with their owners', () => {
    const live = apply(undefined, configMap({ a: '1', b: '2' }), 'kubectl');
    const out = update(live, { ...live, data: { a: '1', b: '3' } }, 'editor', { now: T1 });
    expect(owned(out, 'kubectl')).toEqual(['.data.a']);
    expect(owned(out, 'editor', 'Update')).toEqual(['.data.b']);
    expect(entryOf(out, 'editor')?.time).toBe(T1);
    expect(entryOf(out, 'kubectl')?.time).toBe(T0);
  });

  it('removes a deleted field from every entry and drops entries left empty', () => {
    const live = update(
      apply(undefined, configMap({ a: '1' }), 'kubectl'),
      configMap({ a: '1', b: '2' }),
      'editor',
    );
    const out = update(live, { ...live, data: { a: '1' } }, 'cleaner', { now: T1 });
    expect(entryOf(out, 'editor')).toBeUndefined();
    expect(entryOf(out, 'cleaner')).toBeUndefined();
    expect(owned(out, 'kubectl')).toEqual(['.data.a']);
  });

  it('leaves managedFields as they were when nothing changed', () => {
    const live = apply(undefined, configMap({ a: '1' }), 'kubectl');
    const out = update(live, structuredClone(live), 'noop', { now: T2 });
    expect(out).toEqual(live);
  });

  it('keeps one Update entry per manager and apiVersion', () => {
    let obj = update(undefined, configMap({ a: '1' }), 'ctl');
    obj = update(obj, { ...obj, data: { a: '1', b: '2' } }, 'ctl', { now: T1 });
    expect(entries(obj)).toHaveLength(1);
    expect(owned(obj, 'ctl')).toEqual(['.data', '.data.a', '.data.b']);
    obj = update(obj, { ...obj, data: { a: '1', b: '2', c: '3' } }, 'ctl', { apiVersion: 'v2', now: T2 });
    expect(entries(obj).map((e) => [e.apiVersion, e.time])).toEqual([
      ['v1', T1],
      ['v2', T2],
    ]);
  });

  it('tracks keyed items: a new container is a member, a removed one leaves every entry', () => {
    const live = apply(undefined, deployment({ containers: [{ name: 'a', image: '1' }] }), 'kubectl');
    const added = structuredClone(live);
    containers(added).push({ name: 'b', image: '2' });
    const withB = update(live, added, 'injector');
    expect(entryOf(withB, 'injector')?.fieldsV1).toEqual({
      'f:spec': {
        'f:template': {
          'f:spec': { 'f:containers': { 'k:{"name":"b"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
        },
      },
    });
    const removed = structuredClone(withB);
    containers(removed).shift();
    const out = update(withB, removed, 'janitor');
    expect(owned(out, 'kubectl').some((p) => p.includes('[name="a"]'))).toBe(false);
  });

  it('uses managedFields sent with the update, and [{}] resets them to the writer’s changes', () => {
    const live = apply(undefined, configMap({ a: '1', b: '2' }), 'kubectl');
    const reset = {
      ...live,
      data: { a: '1', b: '3' },
      metadata: { ...(live.metadata as Obj), managedFields: [{}] },
    };
    const out = update(live, reset, 'editor');
    expect(entries(out).map((e) => e.manager)).toEqual(['editor']);
    expect(owned(out, 'editor')).toEqual(['.data.b']);
  });

  it('returns the updated object with managedFields replaced, without mutating its inputs', () => {
    const live = deepFreeze(apply(undefined, configMap({ a: '1' }), 'kubectl'));
    const updated = deepFreeze({ ...live, data: { a: '2' } });
    const out = update(live, updated, 'editor');
    expect(withoutManagedFields(out)).toEqual(withoutManagedFields(updated));
    expect(Object.isFrozen(out.metadata)).toBe(false);
  });

  it('ignores status on the main resource and tracks it on the status subresource', () => {
    const live = update(undefined, configMap({ a: '1' }), 'creator');
    const withStatus = { ...live, status: { phase: 'Ready' } };
    expect(entries(update(live, withStatus, 'kubelet'))).toEqual(entries(live));
    const out = update(live, withStatus, 'kubelet', { ignoreStatus: false, subresource: 'status' });
    expect(entryOf(out, 'kubelet')).toMatchObject({ subresource: 'status', operation: 'Update' });
    expect(owned(out, 'kubelet')).toEqual(['.status', '.status.phase']);
  });

  it('moves a field from a map to a scalar to the writer and removes the old children', () => {
    const live = apply(
      undefined,
      { apiVersion: 'x/v1', kind: 'T', metadata: { name: 'n' }, spec: { opt: { a: 1 } } },
      'm',
    );
    const out = update(live, { ...live, spec: { opt: 'flat' } }, 'u');
    expect(entryOf(out, 'm')).toBeUndefined();
    expect(owned(out, 'u')).toEqual(['.spec.opt']);
  });
});
