import { getOwn, isObject } from './json-value';

/**
 * Item order in merged lists, as k8s.io/apimachinery/pkg/util/strategicpatch computes it
 * (normalizeElementOrder, mergeSortedSlice): items the patch names are sorted in the patch's
 * order, the others keep the live order, and the two are interleaved by their live positions
 * where both are known. An item new to the list has no live position, so it goes before the
 * live items that follow it: a bare patch adding a container puts it first, as Kubernetes does.
 */

/** What identifies an item of a merged list: its merge key, or for a set the value itself. */
export type ItemId = (item: unknown) => unknown;

export function keyId(key: string): ItemId {
  return (item) => (isObject(item) ? getOwn(item, key) : undefined);
}

/** Scalars are their own id; objects in a set (rare) are compared by their canonical JSON. */
export const valueId: ItemId = (item) =>
  typeof item === 'object' && item !== null ? `\u0000${canonicalJson(item)}` : item;

function canonicalJson(value: unknown): string {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.keys(value)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
  return `{${entries.join(',')}}`;
}

/** The position of each id's first occurrence. */
export function indexById(items: readonly unknown[], id: ItemId): Map<unknown, number> {
  const index = new Map<unknown, number>();
  items.forEach((item, i) => {
    const key = id(item);
    if (key !== undefined && !index.has(key)) index.set(key, i);
  });
  return index;
}

/** The items without repeats of the same id, first occurrence kept. */
export function dedupe(items: readonly unknown[], id: ItemId): unknown[] {
  const seen = new Set<unknown>();
  return items.filter((item) => {
    const key = id(item);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Orders `merged`: items whose id appears in `patchOrder` follow that order, the rest follow
 * `liveOrder`, and the two runs are interleaved as described above.
 */
export function orderMerged(
  merged: readonly unknown[],
  patchOrder: readonly unknown[],
  liveOrder: readonly unknown[],
  id: ItemId,
): unknown[] {
  const patchIndex = indexById(patchOrder, id);
  const liveIndex = indexById(liveOrder, id);
  const named: unknown[] = [];
  const liveOnly: unknown[] = [];
  for (const item of merged) (patchIndex.has(id(item)) ? named : liveOnly).push(item);
  return interleave(sortBy(liveOnly, liveIndex, id), sortBy(named, patchIndex, id), liveIndex, id);
}

/** A stable sort by position in `index`; items it does not know keep their order at the end. */
function sortBy(items: readonly unknown[], index: ReadonlyMap<unknown, number>, id: ItemId): unknown[] {
  return items
    .map((item, i) => ({ item, rank: index.get(id(item)) ?? Number.MAX_SAFE_INTEGER, i }))
    .sort((a, b) => a.rank - b.rank || a.i - b.i)
    .map(({ item }) => item);
}

/** mergeSortedSlice: a live-only item goes first only when both have live positions and its is lower. */
function interleave(
  liveOnly: readonly unknown[],
  named: readonly unknown[],
  liveIndex: ReadonlyMap<unknown, number>,
  id: ItemId,
): unknown[] {
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < liveOnly.length || j < named.length) {
    if (i >= liveOnly.length) out.push(named[j++]);
    else if (j >= named.length) out.push(liveOnly[i++]);
    else {
      const left = liveIndex.get(id(liveOnly[i]));
      const right = liveIndex.get(id(named[j]));
      if (left !== undefined && right !== undefined && left < right) out.push(liveOnly[i++]);
      else out.push(named[j++]);
    }
  }
  return out;
}
