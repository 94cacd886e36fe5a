/**
 * The field set of an object: which paths it sets. Apply style (the set an applier owns) makes
 * leaves, list items and empty maps members; update style (what an update adds) also makes every
 * map and list on the way a member, as the `.` entries Kubernetes writes for updaters show.
 */
import type { MergeSchema, Obj } from '../schema';
import { FieldSet, fieldElement, keyElement, valueElement } from './fieldset';
import { hasKeys, isObj } from './values';

/** Where a map sits: the object root, the root's metadata, or anywhere else. */
export type Level = 0 | 1 | 2;
export const ROOT: Level = 0;
export const META: Level = 1;
export const INNER: Level = 2;

/** Server-owned metadata that no manager owns. */
const IGNORED_META = new Set([
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'selfLink',
]);

/** Whether field `name` of a map at `level` stays out of every field set. */
export function ignored(level: Level, name: string, ignoreStatus: boolean): boolean {
  if (level === ROOT) return name === 'apiVersion' || name === 'kind' || (ignoreStatus && name === 'status');
  return level === META && IGNORED_META.has(name);
}

export function childLevel(level: Level, name: string): Level {
  return level === ROOT && name === 'metadata' ? META : INNER;
}

export interface Walk {
  readonly schema: MergeSchema;
  readonly ignoreStatus: boolean;
  /** Field names from the root: the schema's notion of a path, which skips list items. Passed to the schema as is. */
  readonly sp: string[];
  readonly updateStyle: boolean;
}

/** The apply-style field set of `obj`. */
export function fieldSetOf(obj: Obj, schema: MergeSchema, ignoreStatus: boolean): FieldSet {
  const set = new FieldSet();
  collectMap(set, obj, { schema, ignoreStatus, sp: [], updateStyle: false }, ROOT);
  return set;
}

/** Adds the paths of the fields of map `m` under `node`, the node of `m` itself. */
export function collectMap(node: FieldSet, m: Obj, w: Walk, level: Level): void {
  for (const k in m) {
    if (ignored(level, k, w.ignoreStatus)) continue;
    const v = m[k];
    if (v === undefined) continue;
    w.sp.push(k);
    collectValue(node, fieldElement(k), v, w, childLevel(level, k));
    w.sp.pop();
  }
}

/** Adds value `v`, found under element `el` of `parent`, and the paths below it. */
export function collectValue(parent: FieldSet, el: string, v: unknown, w: Walk, level: Level): void {
  if (Array.isArray(v)) {
    collectList(parent, el, v, w);
    return;
  }
  if (isObj(v) && hasKeys(v) && !w.schema.atomicMap(w.sp)) {
    const node = parent.ensure(el);
    if (w.updateStyle && level !== META) node.member = true;
    collectMap(node, v, w, level);
    if (node.isEmpty()) parent.children?.delete(el);
    return;
  }
  if (level !== META) parent.ensure(el).member = true;
}

function collectList(parent: FieldSet, el: string, list: readonly unknown[], w: Walk): void {
  const type = w.schema.list(w.sp, list);
  if (type.type === 'atomic') {
    parent.ensure(el).member = true;
    return;
  }
  if (list.length === 0) {
    if (w.updateStyle) parent.ensure(el).member = true;
    return;
  }
  if (type.type === 'set') {
    const node = parent.ensure(el);
    if (w.updateStyle) node.member = true;
    for (const item of list) node.ensure(valueElement(item)).member = true;
    return;
  }
  const els: string[] = [];
  for (const item of list) {
    const key = keyElement(item, type.keys, type.defaults);
    if (key === undefined) {
      // Not a valid keyed list: own it whole rather than guess at its items.
      parent.ensure(el).member = true;
      return;
    }
    els.push(key);
  }
  const node = parent.ensure(el);
  if (w.updateStyle) node.member = true;
  for (let i = 0; i < list.length; i++) {
    const itemNode = node.ensure(els[i] ?? '');
    itemNode.member = true;
    collectMap(itemNode, list[i] as Obj, w, INNER);
  }
}
