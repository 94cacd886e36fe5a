/** Ownership for writes that are not applies (create, update, patch), following structured-merge-diff's `Updater.Update`. */
import type { MergeSchema, Obj } from '../schema';
import { compareObjects } from './compare';
import {
  decodeManagedFields,
  encodeManagedFields,
  type Managed,
  managedFieldsOf,
  newManaged,
  setManagedFields,
} from './managed-fields';
import { isObj } from './values';

export interface UpdateOptions {
  /** The stored object, or undefined for a create. */
  live: Obj | undefined;
  /** The object as it will be stored. */
  updated: Obj;
  manager: string;
  apiVersion: string;
  schema: MergeSchema;
  now: string;
  ignoreStatus: boolean;
  subresource?: string;
}

/**
 * Records a non-apply write: paths it added or changed move to the manager's Update entry (time =
 * now), paths it removed leave every entry. Returns `updated` (root and metadata copied, the rest
 * shared) with `metadata.managedFields` replaced. As in Kubernetes (FieldManager.Update), the
 * managedFields sent in `updated` replace the stored ones (so clients such as csaupgrade can
 * rewrite them), `[]` and `[{}]` reset them, and sent entries that own nothing leave them as stored.
 */
export function trackUpdate(o: UpdateOptions): Obj {
  const raw = managedFieldsOf(o.updated);
  const stored = managedFieldsOf(o.live);
  // Sent back as read (a read-modify-write, any patch but one of managedFields): as stored.
  const sent = raw === stored || sameJson(raw, stored) ? undefined : decodeManagedFields(raw);
  let managed: Managed[];
  if (sent !== undefined && isReset(raw)) managed = [];
  else if (sent?.some((m) => !m.set.isEmpty())) {
    managed = sent;
    for (const m of managed) m.dirty = true;
  } else managed = decodeManagedFields(stored) ?? [];

  const { changed, removed } = compareObjects(o.live, o.updated, o.schema, o.ignoreStatus);
  const sub = o.subresource ?? '';
  const mine = managed.find(
    (m) =>
      m.entry.operation === 'Update' &&
      m.entry.manager === o.manager &&
      m.entry.apiVersion === o.apiVersion &&
      (m.entry.subresource ?? '') === sub,
  );
  const anyRemoved = !removed.isEmpty();
  const anyChanged = !changed.isEmpty();
  for (const m of managed) {
    if (anyRemoved && m.set.removeSubtrees(removed)) m.dirty = true;
    if (anyChanged && m !== mine && m.set.subtract(changed)) m.dirty = true;
  }
  if (anyChanged) {
    if (mine !== undefined) {
      mine.set.addAll(changed);
      mine.entry = { ...mine.entry, time: o.now };
      mine.dirty = true;
    } else managed.push(newManaged(o.manager, 'Update', o.apiVersion, o.now, o.subresource, changed));
  }

  const result: Obj = { ...o.updated };
  if (isObj(result.metadata)) result.metadata = { ...result.metadata };
  setManagedFields(result, encodeManagedFields(managed));
  return result;
}

/** isResetManagedFields: an empty list, or one empty entry. */
function isReset(raw: unknown): boolean {
  if (!Array.isArray(raw)) return false;
  if (raw.length === 0) return true;
  return raw.length === 1 && isObj(raw[0]) && Object.keys(raw[0]).length === 0;
}

function sameJson(a: unknown, b: unknown): boolean {
  return a !== undefined && b !== undefined && JSON.stringify(a) === JSON.stringify(b);
}
