/**
 * Removal for server-side apply: what the applier set last time and no longer sets is removed,
 * unless someone (the applier's new configuration included) still owns it.
 */
import type { MergeSchema, Obj } from '../schema';
import { type FieldSet, keyElement, valueElement } from './fieldset';
import { childLevel, INNER, ignored, type Level, META } from './object-set';
import { isObj } from './values';

export interface PruneContext {
  readonly schema: MergeSchema;
  readonly ignoreStatus: boolean;
  readonly sp: string[];
}

function below(keep: readonly FieldSet[], el: string): FieldSet[] {
  const out: FieldSet[] = [];
  for (const node of keep) {
    const child = node.children?.get(el);
    if (child !== undefined) out.push(child);
  }
  return out;
}

/**
 * Removes from `obj` (owned by the caller, changed in place) the fields of `old` that no set of `keep`
 * reaches. A field or item nobody else has anything under goes whole, unowned children included, as
 * in structured-merge-diff; where others own something below, only the old leaves go. The root's
 * metadata is never removed whole: it holds the object's identity.
 */
export function pruneMap(
  obj: Obj,
  old: FieldSet,
  keep: readonly FieldSet[],
  ctx: PruneContext,
  level: Level,
  keys: readonly string[] = [],
): void {
  if (old.children === undefined) return;
  for (const [el, oldChild] of old.children) {
    if (el.charCodeAt(0) !== 102 /* f */) continue;
    const name = el.slice(2);
    if (!Object.hasOwn(obj, name) || ignored(level, name, ctx.ignoreStatus)) continue;
    // An item that stays keeps its key fields, or it could no longer be told apart.
    if (keys.includes(name)) continue;
    const kept = below(keep, el);
    const lvl = childLevel(level, name);
    if (kept.length === 0 && lvl !== META) {
      delete obj[name];
      continue;
    }
    if (oldChild.children === undefined) continue;
    const v = obj[name];
    ctx.sp.push(name);
    if (isObj(v)) pruneMap(v, oldChild, kept, ctx, lvl);
    else if (Array.isArray(v)) pruneList(v, oldChild, kept, ctx);
    ctx.sp.pop();
  }
}

function pruneList(list: unknown[], old: FieldSet, keep: readonly FieldSet[], ctx: PruneContext): void {
  const type = ctx.schema.list(ctx.sp, list);
  if (type.type === 'atomic' || old.children === undefined) return;
  let w = 0;
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    const el = type.type === 'set' ? valueElement(item) : keyElement(item, type.keys, type.defaults);
    const oldItem = el === undefined ? undefined : old.children.get(el);
    if (el !== undefined && oldItem !== undefined) {
      const kept = below(keep, el);
      if (kept.length === 0) continue;
      if (oldItem.children !== undefined && isObj(item)) {
        pruneMap(item, oldItem, kept, ctx, INNER, type.type === 'map' ? type.keys : []);
      }
    }
    list[w++] = item;
  }
  list.length = w;
}
