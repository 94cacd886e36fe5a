import type { MergeSchema, Obj } from '../schema';
import { PatchError } from './errors';
import { cloneJson, getOwn, hasOwn, isObject, jsonType, setOwn } from './json-value';
import { dedupe, type ItemId, keyId, orderMerged, valueId } from './smp-order';

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ORDER = '$setElementOrder/';
const DELETE_FROM = '$deleteFromPrimitiveList/';
/**
 * What merging a map with `$patch: delete` yields: the key holding it goes away. Kubernetes
 * leaves `{}`, which its typed round trip then drops for the omitempty maps this is used on.
 */
const DELETED: unique symbol = Symbol('deleted');

type Path = readonly string[];
type Mode =
  | { readonly kind: 'atomic' }
  | { readonly kind: 'set' }
  | { readonly kind: 'keyed'; readonly key: string };
const ATOMIC: Mode = { kind: 'atomic' };
const SET: Mode = { kind: 'set' };

/**
 * Applies a strategic merge patch as k8s.io/apimachinery/pkg/util/strategicpatch does on the
 * server (MergeParallelList, IgnoreUnmatchedNulls), with list and map strategies from `schema`.
 * Directives ($patch, $retainKeys, $setElementOrder/, $deleteFromPrimitiveList/) are consumed,
 * never copied into the result. The result shares no structure with the inputs.
 */
export function applyStrategicMergePatch(target: Obj, patch: Obj, schema: MergeSchema): Obj {
  if (!isObject(patch))
    throw new PatchError(`strategic merge patch must be an object, not ${jsonType(patch)}`);
  const base = isObject(target) ? cloneJson(target) : {};
  const merged = new Merger(schema).map(base, patch, []);
  return merged === DELETED ? {} : merged;
}

/** Every method may mutate the live value it is given: it is a private copy of the target. */
class Merger {
  constructor(private readonly schema: MergeSchema) {}

  private value(live: unknown, patch: unknown, path: Path): unknown {
    if (isObject(patch)) {
      const merge = isObject(live) && !this.schema.atomicMap(path);
      return this.map(merge ? live : {}, patch, path);
    }
    if (Array.isArray(patch)) return this.list(Array.isArray(live) ? live : [], patch, path);
    return patch;
  }

  map(live: Obj, patch: Obj, path: Path): Obj | typeof DELETED {
    if (hasOwn(patch, DIRECTIVE)) {
      const directive = patch[DIRECTIVE];
      if (directive === 'delete') return DELETED;
      if (directive !== 'replace') throw fail(path, `unknown $patch directive ${JSON.stringify(directive)}`);
      const rest = { ...patch };
      delete rest[DIRECTIVE];
      return this.map({}, rest, path);
    }
    if (hasOwn(patch, RETAIN_KEYS)) retainKeys(live, patch, path);
    const ordered = new Set<string>();
    for (const key of Object.keys(patch)) {
      if (!key.startsWith(SET_ORDER)) continue;
      const field = key.slice(SET_ORDER.length);
      if (this.order(live, patch, field, patch[key], path)) ordered.add(field);
    }
    const deletions: string[] = [];
    for (const key of Object.keys(patch)) {
      if (key === RETAIN_KEYS || key.startsWith(SET_ORDER) || ordered.has(key)) continue;
      if (key.startsWith(DELETE_FROM)) {
        deletions.push(key);
        continue;
      }
      const value = patch[key];
      const merged = value === null ? DELETED : this.value(getOwn(live, key), value, [...path, key]);
      if (merged === DELETED) delete live[key];
      else setOwn(live, key, merged);
    }
    for (const key of deletions) deleteFromList(live, key.slice(DELETE_FROM.length), patch[key], path);
    return live;
  }

  private list(live: unknown[], patch: readonly unknown[], path: Path): unknown[] {
    if (patch.some((item) => isObject(item) && item[DIRECTIVE] === 'replace')) {
      return this.items(
        patch.filter((item) => !(isObject(item) && hasOwn(item, DIRECTIVE))),
        path,
      );
    }
    const mode = this.mode(live, patch, path);
    if (mode.kind === 'atomic') return this.items(patch, path);
    if (mode.kind === 'set') {
      const added = this.items(patch, path);
      return orderMerged(dedupe([...live, ...added], valueId), added, live, valueId);
    }
    return this.keyed(live, patch, mode.key, path);
  }

  /** The patch's items with their directives consumed: what a list the patch replaces becomes. */
  private items(patch: readonly unknown[], path: Path): unknown[] {
    const out: unknown[] = [];
    for (const item of patch) {
      const value = item === null ? null : this.value(undefined, item, path);
      if (value !== DELETED) out.push(value);
    }
    return out;
  }

  private mode(live: readonly unknown[], patch: readonly unknown[], path: Path): Mode {
    const items = live.length === 0 ? patch : patch.length === 0 ? live : [...live, ...patch];
    const type = this.schema.list(path, items);
    if (type.type === 'atomic') return ATOMIC;
    const key = type.type === 'map' ? type.keys[0] : undefined;
    const objects = items.filter(isObject).length;
    // Kubernetes merges a keyed list of scalars as a set (mergeSlice looks at the item kind).
    if (key === undefined || objects === 0) return SET;
    if (objects !== items.length) throw fail(path, 'list mixes objects with other values');
    return { kind: 'keyed', key };
  }

  private keyed(live: unknown[], patch: readonly unknown[], key: string, path: Path): unknown[] {
    const id = keyId(key);
    let remaining = live;
    const changes: Obj[] = [];
    patch.forEach((item, i) => {
      if (!isObject(item)) throw fail(path, `item ${i} is not an object`);
      if (!hasOwn(item, key)) throw fail(path, `item ${i} has no merge key "${key}"`);
      if (!hasOwn(item, DIRECTIVE)) {
        changes.push(item);
        return;
      }
      const directive = item[DIRECTIVE];
      if (directive !== 'delete')
        throw fail(path, `item ${i} has unsupported $patch ${JSON.stringify(directive)}`);
      const doomed = item[key];
      remaining = remaining.filter((entry) => id(entry) !== doomed);
    });
    const merged = remaining.slice();
    const position = new Map<unknown, number>();
    merged.forEach((entry, i) => {
      if (!position.has(id(entry))) position.set(id(entry), i);
    });
    for (const change of changes) {
      const at = position.get(change[key]);
      const entry = at === undefined ? undefined : merged[at];
      const result = this.map(isObject(entry) ? entry : {}, change, path);
      if (at !== undefined) merged[at] = result;
      else {
        position.set(change[key], merged.length);
        merged.push(result);
      }
    }
    return orderMerged(merged, changes, remaining, id);
  }

  /** `$setElementOrder/<field>`: merges the list now and orders it; false leaves the field to the main loop. */
  private order(live: Obj, patch: Obj, field: string, order: unknown, path: Path): boolean {
    if (!Array.isArray(order)) throw fail(path, `$setElementOrder/${field} is not a list`);
    const change = getOwn(patch, field);
    // A null deletes the list and any other value replaces it: there is nothing to order.
    if (change !== undefined && !Array.isArray(change)) return false;
    const current = getOwn(live, field);
    const before = Array.isArray(current) ? current : [];
    if (!Array.isArray(current) && change === undefined) return true;
    const fieldPath = [...path, field];
    const mode = this.mode(before, change ?? [], fieldPath);
    let merged = change ? this.list(before, change, fieldPath) : before;
    if (mode.kind !== 'atomic') {
      const id = mode.kind === 'keyed' ? keyId(mode.key) : valueId;
      if (change) checkOrder(change, order, id, fieldPath);
      merged = orderMerged(merged, order, before, id);
    }
    setOwn(live, field, merged);
    return true;
  }
}

/** The patch may only set fields $retainKeys lists; live fields it does not list are dropped. */
function retainKeys(live: Obj, patch: Obj, path: Path): void {
  const keys = patch[RETAIN_KEYS];
  if (!Array.isArray(keys) || !keys.every((key): key is string => typeof key === 'string')) {
    throw fail(path, '$retainKeys is not a list of field names');
  }
  const keep = new Set(keys);
  for (const key of Object.keys(patch)) {
    if (key === RETAIN_KEYS || key.startsWith(SET_ORDER) || key.startsWith(DELETE_FROM)) continue;
    if (patch[key] !== null && !keep.has(key))
      throw fail(path, `$retainKeys does not list "${key}", which the patch sets`);
  }
  for (const key of Object.keys(live)) if (!keep.has(key)) delete live[key];
}

function deleteFromList(live: Obj, field: string, values: unknown, path: Path): void {
  if (!Array.isArray(values)) throw fail(path, `$deleteFromPrimitiveList/${field} is not a list`);
  const current = getOwn(live, field);
  if (!Array.isArray(current)) return;
  const doomed = new Set(values.map(valueId));
  setOwn(
    live,
    field,
    current.filter((item) => !doomed.has(valueId(item))),
  );
}

/** Kubernetes rejects a patch list whose items are not in the relative order $setElementOrder gives. */
function checkOrder(change: readonly unknown[], order: readonly unknown[], id: ItemId, path: Path): void {
  const items = change.filter((item) => !(isObject(item) && hasOwn(item, DIRECTIVE)));
  let next = 0;
  for (let i = 0; i < order.length && next < items.length; i++) if (id(items[next]) === id(order[i])) next++;
  if (next < items.length) throw fail(path, `the list is not in the order its $setElementOrder gives`);
}

function fail(path: Path, problem: string): PatchError {
  return new PatchError(
    `strategic merge patch at ${path.length === 0 ? 'the root' : path.join('.')}: ${problem}`,
  );
}
