/**
 * The merge step of server-side apply, done in one walk of the applied configuration: it builds the
 * merged object, the applier's new field set, and the conflicts with other managers' sets.
 */
import type { MergeSchema, Obj } from '../schema';
import { InvalidApplyError } from './errors';
import { type FieldSet, fieldElement, formatPath, keyElement, valueElement } from './fieldset';
import { interleave } from './list-order';
import { childLevel, INNER, ignored, type Level, META, ROOT } from './object-set';
import { clone, deepEqual, hasKeys, isObj } from './values';

/** Another manager's set, narrowed to the node at the current path. */
export interface Owner {
  readonly index: number;
  readonly node: FieldSet;
}

export interface RawConflict {
  readonly owner: number;
  readonly path: readonly string[];
}

export interface MergeContext {
  readonly schema: MergeSchema;
  readonly ignoreStatus: boolean;
  /** Field names from the root, the path the schema is asked about (passed as is: schemas must not keep it). */
  readonly sp: string[];
  /** Path elements from the root, for conflicts and errors. */
  readonly pe: string[];
  readonly conflicts: RawConflict[];
}

const NO_OWNERS: readonly Owner[] = [];

function descend(owners: readonly Owner[], el: string): readonly Owner[] {
  if (owners.length === 0) return NO_OWNERS;
  const out: Owner[] = [];
  for (const o of owners) {
    const node = o.node.children?.get(el);
    if (node !== undefined) out.push({ index: o.index, node });
  }
  return out.length > 0 ? out : NO_OWNERS;
}

/** Identity fields come from the request; other ignored fields are the server's and stay as they are live. */
function takenFromApplied(level: Level, name: string): boolean {
  return level === ROOT ? name === 'apiVersion' || name === 'kind' : name === 'name' || name === 'namespace';
}

/** Merges map `a` (applied) over `l` (live), adding the applied paths under `set`, the node of this map. */
export function mergeMap(
  l: Obj | undefined,
  a: Obj,
  set: FieldSet,
  owners: readonly Owner[],
  ctx: MergeContext,
  level: Level,
): Obj {
  const out: Obj = {};
  if (l !== undefined) {
    for (const k in l) {
      if (level === META && k === 'managedFields') continue;
      const av = a[k];
      if (av === undefined) out[k] = clone(l[k]);
      else if (!ignored(level, k, ctx.ignoreStatus))
        out[k] = mergeField(l[k], av, k, set, owners, ctx, level);
      else out[k] = clone(takenFromApplied(level, k) ? av : l[k]);
    }
  }
  for (const k in a) {
    if (l !== undefined && Object.hasOwn(l, k)) continue;
    const av = a[k];
    if (av === undefined) continue;
    if (!ignored(level, k, ctx.ignoreStatus)) out[k] = mergeField(undefined, av, k, set, owners, ctx, level);
    else if (takenFromApplied(level, k)) out[k] = clone(av);
  }
  return out;
}

function mergeField(
  lv: unknown,
  av: unknown,
  k: string,
  set: FieldSet,
  owners: readonly Owner[],
  ctx: MergeContext,
  level: Level,
): unknown {
  const el = fieldElement(k);
  ctx.sp.push(k);
  ctx.pe.push(el);
  const out = mergeValue(lv, av, el, set, descend(owners, el), ctx, childLevel(level, k));
  ctx.pe.pop();
  ctx.sp.pop();
  return out;
}

function mergeValue(
  lv: unknown,
  av: unknown,
  el: string,
  parent: FieldSet,
  owners: readonly Owner[],
  ctx: MergeContext,
  level: Level,
): unknown {
  if (Array.isArray(av)) return mergeList(lv, av, el, parent, owners, ctx);
  const atomic = isObj(av) && ctx.schema.atomicMap(ctx.sp);
  if (isObj(av) && hasKeys(av) && !atomic) {
    if (lv !== undefined && !isObj(lv)) typeChanged(owners, ctx);
    const node = parent.ensure(el);
    const out = mergeMap(isObj(lv) ? lv : undefined, av, node, owners, ctx, level);
    if (node.isEmpty()) parent.children?.delete(el);
    return out;
  }
  // A leaf. An empty map merged into a live map leaves the live map as it is.
  const out = isObj(av) && !atomic && isObj(lv) ? clone(lv) : clone(av);
  if (level !== META) parent.ensure(el).member = true;
  leafConflicts(lv, out, owners, ctx);
  return out;
}

function conflict(owner: number, path: readonly string[], ctx: MergeContext): void {
  ctx.conflicts.push({ owner, path });
}

/** A leaf changes value: every other owner of it, or of anything below it, conflicts. */
function leafConflicts(lv: unknown, out: unknown, owners: readonly Owner[], ctx: MergeContext): void {
  if (owners.length === 0 || deepEqual(lv, out)) return;
  for (const o of owners) {
    if (o.node.member) conflict(o.index, [...ctx.pe], ctx);
    if (o.node.children) for (const below of o.node.members()) conflict(o.index, [...ctx.pe, ...below], ctx);
  }
}

/** A field owned as a leaf becomes a map or list. */
function typeChanged(owners: readonly Owner[], ctx: MergeContext): void {
  for (const o of owners) if (o.node.member) conflict(o.index, [...ctx.pe], ctx);
}

function mergeList(
  lv: unknown,
  av: readonly unknown[],
  el: string,
  parent: FieldSet,
  owners: readonly Owner[],
  ctx: MergeContext,
): unknown[] {
  const type = ctx.schema.list(ctx.sp, av);
  if (type.type === 'atomic') {
    const out = clone(av as unknown[]);
    parent.ensure(el).member = true;
    leafConflicts(lv, out, owners, ctx);
    return out;
  }
  const live = Array.isArray(lv) ? (lv as readonly unknown[]) : undefined;
  if (lv !== undefined && live === undefined) typeChanged(owners, ctx);
  // An empty associative list owns nothing and removes nothing, as in structured-merge-diff.
  if (av.length === 0) return live !== undefined ? clone(live as unknown[]) : [];
  const node = parent.ensure(el);
  if (type.type === 'set') return mergeSet(live ?? [], av, node, ctx);
  return mergeKeyed(live ?? [], av, type.keys, type.defaults, node, owners, ctx);
}

function invalid(ctx: MergeContext, message: string): InvalidApplyError {
  return new InvalidApplyError(`${formatPath(ctx.pe)}: ${message}`);
}

/** Index of the applied items by element, rejecting duplicates as Kubernetes does. */
function indexApplied(els: readonly string[], ctx: MergeContext): Map<string, number> {
  const index = new Map<string, number>();
  for (let i = 0; i < els.length; i++) {
    const el = els[i] ?? '';
    if (index.has(el)) throw invalid(ctx, `duplicate entries for key ${formatPath([el])}`);
    index.set(el, i);
  }
  return index;
}

/** Live items by element; an item that cannot be addressed (no key, a duplicate) gets a private element. */
function indexLive(live: readonly unknown[], elementOf: (item: unknown) => string | undefined) {
  const els: string[] = [];
  const index = new Map<string, number>();
  for (let i = 0; i < live.length; i++) {
    const el = elementOf(live[i]);
    if (el === undefined || index.has(el)) {
      els.push(`\u0000${i}`);
      continue;
    }
    index.set(el, i);
    els.push(el);
  }
  return { els, index };
}

function mergeSet(
  live: readonly unknown[],
  av: readonly unknown[],
  node: FieldSet,
  ctx: MergeContext,
): unknown[] {
  const rEls = av.map(valueElement);
  const rIndex = indexApplied(rEls, ctx);
  const l = indexLive(live, valueElement);
  const out: unknown[] = [];
  for (const step of interleave(l.els, l.index, rEls, rIndex)) {
    out.push(clone(step.r !== undefined ? av[step.r] : live[step.l ?? 0]));
  }
  for (const el of rEls) node.ensure(el).member = true;
  return out;
}

function appliedKey(
  item: unknown,
  i: number,
  keys: readonly string[],
  defaults: Readonly<Record<string, unknown>> | undefined,
  ctx: MergeContext,
): string {
  if (!isObj(item))
    throw invalid(ctx, `element ${i}: associative list with keys may not have non-map elements`);
  const el = keyElement(item, keys, defaults);
  if (el !== undefined) return el;
  const missing = keys.find((k) => item[k] === undefined && defaults?.[k] === undefined) ?? '';
  throw invalid(
    ctx,
    `element ${i}: associative list with keys has an element that omits key field ${JSON.stringify(missing)} (and doesn't have default value)`,
  );
}

function mergeKeyed(
  live: readonly unknown[],
  av: readonly unknown[],
  keys: readonly string[],
  defaults: Readonly<Record<string, unknown>> | undefined,
  node: FieldSet,
  owners: readonly Owner[],
  ctx: MergeContext,
): unknown[] {
  const rEls = av.map((item, i) => appliedKey(item, i, keys, defaults, ctx));
  const rIndex = indexApplied(rEls, ctx);
  const l = indexLive(live, (item) => keyElement(item, keys, defaults));
  const out: unknown[] = [];
  for (const step of interleave(l.els, l.index, rEls, rIndex)) {
    if (step.r === undefined) {
      out.push(clone(live[step.l ?? 0]));
      continue;
    }
    const el = rEls[step.r] ?? '';
    const itemNode = node.ensure(el);
    itemNode.member = true;
    const lItem = step.l !== undefined ? live[step.l] : undefined;
    ctx.pe.push(el);
    out.push(
      mergeMap(
        isObj(lItem) ? lItem : undefined,
        av[step.r] as Obj,
        itemNode,
        descend(owners, el),
        ctx,
        INNER,
      ),
    );
    ctx.pe.pop();
  }
  return out;
}
