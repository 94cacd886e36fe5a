/** Reading, ordering and writing `metadata.managedFields`. */
import type { Obj } from '../schema';
import { fromFieldsV1, toFieldsV1 } from './fields-v1';
import type { FieldSet } from './fieldset';
import { clone, compareStrings, isObj } from './values';

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Record<string, unknown>;
  subresource?: string;
}

/** One entry while a write is computed: its set decoded, `dirty` once the set no longer matches `fieldsV1`. */
export interface Managed {
  entry: ManagedFieldsEntry;
  set: FieldSet;
  dirty: boolean;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** The entries of a managedFields value; undefined when it is absent or not a list. */
export function decodeManagedFields(raw: unknown): Managed[] | undefined {
  if (!Array.isArray(raw)) return undefined;
  const out: Managed[] = [];
  for (const item of raw) {
    if (!isObj(item)) continue;
    const entry: ManagedFieldsEntry = {
      manager: str(item.manager),
      operation: item.operation === 'Apply' ? 'Apply' : 'Update',
      apiVersion: str(item.apiVersion),
      time: str(item.time),
      fieldsType: 'FieldsV1',
      fieldsV1: isObj(item.fieldsV1) ? item.fieldsV1 : {},
    };
    const subresource = str(item.subresource);
    if (subresource !== '') entry.subresource = subresource;
    out.push({ entry, set: fromFieldsV1(item.fieldsV1), dirty: false });
  }
  return out;
}

export function managedFieldsOf(obj: Obj | undefined): unknown {
  const metadata = obj?.metadata;
  return isObj(metadata) ? metadata.managedFields : undefined;
}

export function newManaged(
  manager: string,
  operation: 'Apply' | 'Update',
  apiVersion: string,
  time: string,
  subresource: string | undefined,
  set: FieldSet,
): Managed {
  const entry: ManagedFieldsEntry = {
    manager,
    operation,
    apiVersion,
    time,
    fieldsType: 'FieldsV1',
    fieldsV1: {},
  };
  if (subresource) entry.subresource = subresource;
  return { entry, set, dirty: true };
}

function seconds(time: string): number {
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

/** The order the API server writes entries in (`sortEncodedManagedFields`): Apply first, then oldest. */
function compareEntries(p: ManagedFieldsEntry, q: ManagedFieldsEntry): number {
  return (
    compareStrings(p.operation, q.operation) ||
    seconds(p.time) - seconds(q.time) ||
    compareStrings(p.manager, q.manager) ||
    compareStrings(p.apiVersion, q.apiVersion) ||
    compareStrings(p.subresource ?? '', q.subresource ?? '')
  );
}

/** Fresh managedFields entries, empty sets dropped, in API server order. */
export function encodeManagedFields(list: readonly Managed[]): ManagedFieldsEntry[] {
  const out: ManagedFieldsEntry[] = [];
  for (const m of list) {
    if (m.set.isEmpty()) continue;
    const e = m.entry;
    const entry: ManagedFieldsEntry = {
      manager: e.manager,
      operation: e.operation,
      apiVersion: e.apiVersion,
      time: e.time,
      fieldsType: 'FieldsV1',
      fieldsV1: m.dirty ? toFieldsV1(m.set) : clone(e.fieldsV1),
    };
    if (e.subresource) entry.subresource = e.subresource;
    out.push(entry);
  }
  return out.length > 1 ? out.sort(compareEntries) : out;
}

/** How Kubernetes names a manager in conflicts (`printManager`): `"kubectl-edit" using apps/v1`. */
export function describeManager(e: ManagedFieldsEntry): string {
  let out = JSON.stringify(e.manager);
  if (e.subresource) out += ` with subresource ${JSON.stringify(e.subresource)}`;
  if (e.operation === 'Update') out += ` using ${e.apiVersion}`;
  return out;
}

/** The identity the API server files an entry under: appliers by name, updaters by name and version. */
export function managerKey(e: ManagedFieldsEntry): string {
  const version = e.operation === 'Apply' ? '' : e.apiVersion;
  return JSON.stringify([e.manager, e.operation, version, e.subresource ?? '']);
}

/** Replaces `metadata.managedFields` on an object the caller owns, removing it when there are none. */
export function setManagedFields(obj: Obj, entries: ManagedFieldsEntry[]): void {
  let metadata = obj.metadata;
  if (!isObj(metadata)) {
    if (entries.length === 0) return;
    metadata = {};
    obj.metadata = metadata;
  }
  if (entries.length === 0) delete (metadata as Obj).managedFields;
  else (metadata as Obj).managedFields = entries;
}
