/** Server-side apply (`PATCH` with `application/apply-patch+yaml`), following structured-merge-diff's `Updater.Apply`. */
import type { MergeSchema, Obj } from '../schema';
import { ApplyConflictError, type FieldConflict, InvalidApplyError } from './errors';
import { compareElements, FieldSet, formatPath } from './fieldset';
import {
  decodeManagedFields,
  describeManager,
  encodeManagedFields,
  type Managed,
  managedFieldsOf,
  managerKey,
  newManaged,
  setManagedFields,
} from './managed-fields';
import { type MergeContext, mergeMap, type RawConflict } from './merge';
import { fieldSetOf, ROOT } from './object-set';
import { pruneMap } from './prune';
import { compareStrings, deepEqual, isObj } from './values';

export interface ApplyOptions {
  /** The stored object, or undefined when the apply creates it. */
  live: Obj | undefined;
  /** The applied configuration (the request body). */
  applied: Obj;
  manager: string;
  force: boolean;
  /** The apiVersion the request used; recorded in the manager's entry. */
  apiVersion: string;
  schema: MergeSchema;
  /** RFC 3339 time written into entries that change. */
  now: string;
  /** True for writes to the main resource, whose status belongs to the status subresource. */
  ignoreStatus: boolean;
  /** Set for applies to a subresource (`status`, `scale`): entries are kept apart per subresource. */
  subresource?: string;
}

/** Kubernetes' name for the owner of everything an object had before its first managed write. */
export const BEFORE_FIRST_APPLY = 'before-first-apply';

/**
 * Server-side apply: returns a new object, `live` merged with `applied`, with the fields the manager
 * stopped applying removed and `metadata.managedFields` updated. The result shares nothing with the
 * inputs. Throws ApplyConflictError when a field another manager owns would change and `force` is
 * false, InvalidApplyError when `applied` cannot be merged.
 */
export function serverSideApply(o: ApplyOptions): Obj {
  const appliedMeta = o.applied.metadata;
  if (isObj(appliedMeta) && appliedMeta.managedFields != null) {
    throw new InvalidApplyError('metadata.managedFields must be nil');
  }
  const managed = decodeManagedFields(managedFieldsOf(o.live)) ?? [];
  if (o.live !== undefined && managed.length === 0) {
    // An object nobody tracked yet: what it holds belongs to a placeholder manager, so an apply
    // that changes it conflicts, as in Kubernetes.
    const set = fieldSetOf(o.live, o.schema, o.ignoreStatus);
    if (!set.isEmpty())
      managed.push(newManaged(BEFORE_FIRST_APPLY, 'Update', o.apiVersion, o.now, undefined, set));
  }
  const sub = o.subresource ?? '';
  const mineAt = managed.findIndex(
    (m) =>
      m.entry.operation === 'Apply' && m.entry.manager === o.manager && (m.entry.subresource ?? '') === sub,
  );
  const mine = managed[mineAt];
  const others = managed.filter((_, i) => i !== mineAt);

  const ctx: MergeContext = { schema: o.schema, ignoreStatus: o.ignoreStatus, sp: [], pe: [], conflicts: [] };
  const applied = new FieldSet();
  const owners = others.map((m, index) => ({ index, node: m.set }));
  const merged = mergeMap(o.live, o.applied, applied, owners, ctx, ROOT);

  if (ctx.conflicts.length > 0) {
    if (!o.force) throw new ApplyConflictError(describeConflicts(ctx.conflicts, others));
    for (const c of ctx.conflicts) {
      const m = others[c.owner];
      if (m?.set.removeMember(c.path)) m.dirty = true;
    }
  }
  if (mine !== undefined) {
    pruneMap(merged, mine.set, [applied, ...others.map((m) => m.set)], { ...ctx, sp: [] }, ROOT);
  }

  const unchanged =
    mine !== undefined &&
    mine.entry.apiVersion === o.apiVersion &&
    mine.set.equals(applied) &&
    sameIgnoringManagedFields(o.live, merged);
  const entry = newManaged(o.manager, 'Apply', o.apiVersion, o.now, o.subresource, applied);
  if (unchanged) {
    // A no-op apply leaves the entry, time included, as it was, so the object stays byte-identical.
    entry.entry.time = mine.entry.time;
    entry.entry.fieldsV1 = mine.entry.fieldsV1;
    entry.dirty = false;
  }
  setManagedFields(merged, encodeManagedFields([entry, ...others]));
  return merged;
}

function comparePaths(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < a.length && i < b.length; i++) {
    const c = compareElements(a[i] ?? '', b[i] ?? '');
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

/** Conflicts grouped by manager and in path order, as the API server lists them. */
function describeConflicts(raw: readonly RawConflict[], others: readonly Managed[]): FieldConflict[] {
  const keyOf = (c: RawConflict): string => {
    const m = others[c.owner];
    return m ? managerKey(m.entry) : '';
  };
  const sorted = [...raw].sort((x, y) => compareStrings(keyOf(x), keyOf(y)) || comparePaths(x.path, y.path));
  const out: FieldConflict[] = [];
  let previous: RawConflict | undefined;
  for (const c of sorted) {
    const m = others[c.owner];
    if (m === undefined) continue;
    if (previous && previous.owner === c.owner && comparePaths(previous.path, c.path) === 0) continue;
    previous = c;
    out.push({
      manager: m.entry.manager,
      field: formatPath(c.path),
      message: `conflict with ${describeManager(m.entry)}`,
    });
  }
  return out;
}

/** Whether the apply changed nothing but managedFields. */
function sameIgnoringManagedFields(live: Obj | undefined, merged: Obj): boolean {
  if (live === undefined) return false;
  let n = 0;
  for (const k in live) {
    if (!Object.hasOwn(merged, k)) return false;
    const same =
      k === 'metadata' && isObj(live[k]) && isObj(merged[k])
        ? sameIgnoringManagedFieldsKey(live[k] as Obj, merged[k] as Obj)
        : deepEqual(live[k], merged[k]);
    if (!same) return false;
    n++;
  }
  for (const _ in merged) n--;
  return n === 0;
}

function sameIgnoringManagedFieldsKey(a: Obj, b: Obj): boolean {
  let n = 0;
  for (const k in a) {
    if (k === 'managedFields') continue;
    if (!Object.hasOwn(b, k) || !deepEqual(a[k], b[k])) return false;
    n++;
  }
  for (const k in b) if (k !== 'managedFields') n--;
  return n === 0;
}
