import type { KubeObject } from '../../lib/core/manifests';
import {
  appOwnedFields,
  managerMigrationPatch,
  mergeFieldsV1,
  migratedManagedFields,
  needsManagerMigration,
} from '../../lib/core/sync/field-managers';

const entry = (manager: string, fieldsV1: unknown, extra: Record<string, unknown> = {}) => ({
  manager,
  operation: 'Apply',
  apiVersion: 'v1',
  time: '2026-01-01T00:00:00Z',
  fieldsType: 'FieldsV1',
  fieldsV1,
  ...extra,
});

function configMap(app: string | undefined, managedFields: unknown[]): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: 'c',
      namespace: 'n',
      resourceVersion: '42',
      ...(app ? { labels: { 'plumbline.dev/app': app } } : {}),
      managedFields,
    },
    data: { a: '1', b: '2' },
  };
}

describe('needsManagerMigration', () => {
  it('is true only for an Apply entry of the shared manager on an object labelled for the app', () => {
    const shared = [entry('plumbline', { 'f:data': { 'f:a': {} } })];
    expect(needsManagerMigration(configMap('web', shared), 'web')).toBe(true);
    expect(needsManagerMigration(configMap('api', shared), 'web')).toBe(false);
    expect(needsManagerMigration(configMap(undefined, shared), 'web')).toBe(false);
    expect(needsManagerMigration(configMap('web', [entry('plumbline-web', {})]), 'web')).toBe(false);
    const update = [entry('plumbline', {}, { operation: 'Update' })];
    expect(needsManagerMigration(configMap('web', update), 'web')).toBe(false);
    const status = [entry('plumbline', {}, { subresource: 'status' })];
    expect(needsManagerMigration(configMap('web', status), 'web')).toBe(false);
  });
});

describe('appOwnedFields', () => {
  it("reads the app's own manager only, never another app's", () => {
    const live = configMap('web', [
      entry('plumbline-web', { 'f:data': { 'f:a': {} } }),
      entry('plumbline-api', { 'f:data': { 'f:b': {} } }),
    ]);
    expect(appOwnedFields(live, 'web')).toEqual({ 'f:data': { 'f:a': {} } });
    expect(appOwnedFields(live, 'other')).toBeUndefined();
  });
  it('adds the shared manager’s fields while the object awaits migration', () => {
    const live = configMap('web', [
      entry('plumbline-web', { 'f:data': { 'f:a': {} } }),
      entry('plumbline', { 'f:data': { '.': {}, 'f:b': {} } }),
    ]);
    expect(appOwnedFields(live, 'web')).toEqual({ 'f:data': { 'f:a': {}, '.': {}, 'f:b': {} } });
    // Labelled for another app: the shared manager's fields are not this app's.
    expect(appOwnedFields(configMap('api', live.metadata.managedFields as unknown[]), 'web')).toEqual({
      'f:data': { 'f:a': {} },
    });
  });
});

describe('mergeFieldsV1', () => {
  it('unions two tries and hands back anything that is not a trie so its reader fails', () => {
    expect(mergeFieldsV1({ 'f:a': { 'f:x': {} } }, { 'f:a': { 'f:y': {} }, 'f:b': {} })).toEqual({
      'f:a': { 'f:x': {}, 'f:y': {} },
      'f:b': {},
    });
    expect(mergeFieldsV1({ 'f:a': {} }, 'garbage')).toBe('garbage');
  });
});

describe('migratedManagedFields', () => {
  it('renames the shared Apply entry when the app has none, keeping every other entry', () => {
    const kubectl = entry('kubectl-edit', { 'f:data': { 'f:b': {} } }, { operation: 'Update' });
    const live = configMap('web', [entry('plumbline', { 'f:data': { 'f:a': {} } }), kubectl]);
    expect(migratedManagedFields(live, 'web')).toEqual([
      entry('plumbline-web', { 'f:data': { 'f:a': {} } }),
      kubectl,
    ]);
  });
  it('unions it into the app’s entry of the same apiVersion, and drops it otherwise (as csaupgrade does)', () => {
    const own = entry('plumbline-web', { 'f:data': { 'f:a': {} } });
    const same = configMap('web', [own, entry('plumbline', { 'f:data': { 'f:b': {} } })]);
    expect(migratedManagedFields(same, 'web')).toEqual([
      { ...own, fieldsV1: { 'f:data': { 'f:a': {}, 'f:b': {} } } },
    ]);
    const other = configMap('web', [own, entry('plumbline', { 'f:spec': {} }, { apiVersion: 'v2' })]);
    expect(migratedManagedFields(other, 'web')).toEqual([own]);
  });
  it('is a JSON patch guarded by the resourceVersion it was computed from', () => {
    const live = configMap('web', [entry('plumbline', {})]);
    expect(managerMigrationPatch(live, 'web')).toEqual([
      { op: 'test', path: '/metadata/resourceVersion', value: '42' },
      { op: 'replace', path: '/metadata/managedFields', value: [entry('plumbline-web', {})] },
    ]);
  });
});
