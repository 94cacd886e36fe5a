/**
 * What a non-apply write changed, as structured-merge-diff's `TypedValue.Compare` sees it: the paths
 * added or modified (which the writer takes) and the paths removed (which nobody owns any more).
 */
import type { MergeSchema, Obj } from '../schema';
import { FieldSet, fieldElement, keyElement, valueElement } from './fieldset';
import {
  childLevel,
  collectMap,
  collectValue,
  INNER,
  ignored,
  type Level,
  META,
  ROOT,
  type Walk,
} from './object-set';
import { deepEqual, isObj } from './values';

export interface Comparison {
  /** Paths added or modified, update style: a map or list that appears is itself a member. */
  readonly changed: FieldSet;
  /** Paths removed; each member stands for its whole subtree. */
  readonly removed: FieldSet;
}

interface Cmp extends Walk, Comparison {
  readonly pe: string[];
}

export function compareObjects(
  live: Obj | undefined,
  updated: Obj,
  schema: MergeSchema,
  ignoreStatus: boolean,
): Comparison {
  const c: Cmp = {
    schema,
    ignoreStatus,
    sp: [],
    updateStyle: true,
    pe: [],
    changed: new FieldSet(),
    removed: new FieldSet(),
  };
  compareMaps(live ?? {}, updated, c, ROOT);
  return { changed: c.changed, removed: c.removed };
}

function enter(c: Cmp, name: string, el: string): void {
  c.sp.push(name);
  c.pe.push(el);
}

function leave(c: Cmp): void {
  c.sp.pop();
  c.pe.pop();
}

function markChanged(c: Cmp): void {
  c.changed.ensurePath(c.pe).member = true;
}

function markRemoved(c: Cmp): void {
  c.removed.ensurePath(c.pe).member = true;
}

/** Marks value `v` at the current path, and everything below it, as added. */
function markAdded(v: unknown, c: Cmp, level: Level): void {
  const parent = c.changed.ensurePath(c.pe.slice(0, -1));
  collectValue(parent, c.pe[c.pe.length - 1] ?? '', v, c, level);
}

function compareMaps(l: Obj, r: Obj, c: Cmp, level: Level): void {
  for (const k in l) {
    const lv = l[k];
    if (lv === undefined || ignored(level, k, c.ignoreStatus)) continue;
    const lvl = childLevel(level, k);
    enter(c, k, fieldElement(k));
    const rv = r[k];
    // The root's metadata always exists; only what is inside it is compared.
    if (lvl === META) compareMaps(isObj(lv) ? lv : {}, isObj(rv) ? rv : {}, c, META);
    else if (rv === undefined) markRemoved(c);
    else compareValues(lv, rv, c, lvl);
    leave(c);
  }
  for (const k in r) {
    const rv = r[k];
    if (rv === undefined || l[k] !== undefined || ignored(level, k, c.ignoreStatus)) continue;
    const lvl = childLevel(level, k);
    enter(c, k, fieldElement(k));
    if (lvl === META) compareMaps({}, isObj(rv) ? rv : {}, c, META);
    else markAdded(rv, c, lvl);
    leave(c);
  }
}

function typeChanged(rv: unknown, c: Cmp, level: Level): void {
  markRemoved(c);
  markAdded(rv, c, level);
}

function compareValues(lv: unknown, rv: unknown, c: Cmp, level: Level): void {
  if (Array.isArray(rv)) {
    if (!Array.isArray(lv)) typeChanged(rv, c, level);
    else compareLists(lv, rv, c);
  } else if (isObj(rv) && !c.schema.atomicMap(c.sp)) {
    if (isObj(lv)) compareMaps(lv, rv, c, level);
    else typeChanged(rv, c, level);
  } else if (Array.isArray(lv) || (isObj(lv) && !isObj(rv))) {
    typeChanged(rv, c, level);
  } else if (!deepEqual(lv, rv)) {
    markChanged(c);
  }
}

function compareLists(lv: readonly unknown[], rv: readonly unknown[], c: Cmp): void {
  const type = c.schema.list(c.sp, rv.length > 0 ? rv : lv);
  if (type.type === 'set') compareSets(lv, rv, c);
  else if (type.type === 'map' && compareKeyed(lv, rv, type.keys, type.defaults, c)) return;
  else if (!deepEqual(lv, rv)) markChanged(c);
}

function compareSets(lv: readonly unknown[], rv: readonly unknown[], c: Cmp): void {
  const lEls = new Set(lv.map(valueElement));
  const rEls = new Set(rv.map(valueElement));
  for (const el of rEls) {
    if (lEls.has(el)) continue;
    c.pe.push(el);
    markChanged(c);
    c.pe.pop();
  }
  for (const el of lEls) {
    if (rEls.has(el)) continue;
    c.pe.push(el);
    markRemoved(c);
    c.pe.pop();
  }
}

function index(
  list: readonly unknown[],
  keys: readonly string[],
  defaults: Readonly<Record<string, unknown>> | undefined,
): Map<string, Obj> | undefined {
  const out = new Map<string, Obj>();
  for (const item of list) {
    const el = keyElement(item, keys, defaults);
    if (el === undefined) return undefined;
    if (!out.has(el)) out.set(el, item as Obj);
  }
  return out;
}

/** Compares item by item; false when an item has no key, so the list can only be compared whole. */
function compareKeyed(
  lv: readonly unknown[],
  rv: readonly unknown[],
  keys: readonly string[],
  defaults: Readonly<Record<string, unknown>> | undefined,
  c: Cmp,
): boolean {
  const rItems = index(rv, keys, defaults);
  const lItems = index(lv, keys, defaults);
  if (rItems === undefined || lItems === undefined) return false;
  for (const [el, rItem] of rItems) {
    c.pe.push(el);
    const lItem = lItems.get(el);
    if (lItem !== undefined) compareMaps(lItem, rItem, c, INNER);
    else {
      const node = c.changed.ensurePath(c.pe);
      node.member = true;
      collectMap(node, rItem, c, INNER);
    }
    c.pe.pop();
  }
  for (const el of lItems.keys()) {
    if (rItems.has(el)) continue;
    c.pe.push(el);
    markRemoved(c);
    c.pe.pop();
  }
  return true;
}
