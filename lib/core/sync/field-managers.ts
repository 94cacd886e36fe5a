/**
 * Which fields an app owns live, and the move of objects from the field manager all apps once
 * shared (`plumbline`) to the app's own (`plumbline-<app>`), as k8s.io/client-go/util/csaupgrade
 * moves kubectl's client-side-apply entries to its server-side-apply manager. Pure.
 */
import { APP_LABEL, appFieldManager, FIELD_MANAGER, isObj, type KubeObject, type Obj } from '../manifests';
import type { JsonPatchOperation } from './ports';

function entriesOf(live: KubeObject): unknown[] {
  return Array.isArray(live.metadata.managedFields) ? live.metadata.managedFields : [];
}

function isApplyEntryOf(entry: unknown, manager: string): entry is Obj {
  return isObj(entry) && entry.manager === manager && entry.operation === 'Apply' && !entry.subresource;
}

function applyEntry(live: KubeObject, manager: string): Obj | undefined {
  return entriesOf(live).find((e): e is Obj => isApplyEntryOf(e, manager));
}

/**
 * Whether the object still carries an Apply entry of the shared manager and is this app's (its
 * label names the app): only then is the shared manager's ownership this app's to take over.
 */
export function needsManagerMigration(live: KubeObject, app: string): boolean {
  return live.metadata.labels?.[APP_LABEL] === app && applyEntry(live, FIELD_MANAGER) !== undefined;
}

/** The union of two FieldsV1 tries; anything that is not a trie is returned as is, so the reader fails loudly on it. */
export function mergeFieldsV1(a: unknown, b: unknown): unknown {
  if (!isObj(a)) return a;
  if (!isObj(b)) return b;
  const out: Obj = { ...a };
  for (const [key, value] of Object.entries(b))
    out[key] = key in out ? mergeFieldsV1(out[key], value) : value;
  return out;
}

/**
 * The FieldsV1 the app owns through its applies: its own manager's entry, plus the shared
 * manager's while the object awaits migration. undefined when it owns nothing (never applied it).
 */
export function appOwnedFields(live: KubeObject, app: string): unknown {
  const own = applyEntry(live, appFieldManager(app))?.fieldsV1;
  if (!needsManagerMigration(live, app)) return own;
  const shared = applyEntry(live, FIELD_MANAGER)?.fieldsV1;
  return own === undefined ? shared : mergeFieldsV1(own, shared);
}

/**
 * managedFields with the shared manager's Apply entry handed to the app's manager: renamed when the
 * app has no Apply entry yet, else unioned into it (same apiVersion only, as csaupgrade does: a
 * field set is only meaningful in its version) and removed.
 */
export function migratedManagedFields(live: KubeObject, app: string): unknown[] {
  const manager = appFieldManager(app);
  const entries = entriesOf(live);
  const shared = applyEntry(live, FIELD_MANAGER);
  const own = applyEntry(live, manager);
  const out: unknown[] = [];
  for (const entry of entries) {
    if (isApplyEntryOf(entry, FIELD_MANAGER)) {
      if (own === undefined) out.push({ ...entry, manager });
      continue;
    }
    if (own !== undefined && shared !== undefined && entry === own && shared.apiVersion === own.apiVersion) {
      out.push({ ...own, fieldsV1: mergeFieldsV1(own.fieldsV1, shared.fieldsV1) });
      continue;
    }
    out.push(entry);
  }
  return out;
}

/**
 * The JSON patch that migrates the object, guarded by a `test` of its resourceVersion so that it
 * cannot overwrite managedFields that changed since they were read.
 */
export function managerMigrationPatch(live: KubeObject, app: string): JsonPatchOperation[] {
  return [
    { op: 'test', path: '/metadata/resourceVersion', value: live.metadata.resourceVersion },
    { op: 'replace', path: '/metadata/managedFields', value: migratedManagedFields(live, app) },
  ];
}
