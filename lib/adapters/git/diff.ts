import { MODE, type ObjectStore, type TreeEntry } from './store';

function prefixed(prefix: string, name: string): string {
  return prefix === '' ? name : `${prefix}/${name}`;
}

/** Every non-tree path under a tree: what an added or deleted directory changed. */
async function allPaths(store: ObjectStore, oid: string, prefix: string, out: string[]): Promise<void> {
  for (const entry of await store.tree(oid, prefix || '.')) {
    const path = prefixed(prefix, entry.path);
    if (entry.mode === MODE.tree) await allPaths(store, entry.oid, path, out);
    else out.push(path);
  }
}

async function side(store: ObjectStore, entry: TreeEntry | undefined, path: string, out: string[]) {
  if (entry === undefined) return;
  if (entry.mode === MODE.tree) await allPaths(store, entry.oid, path, out);
  else out.push(path);
}

/**
 * The paths (files, links, submodules) that differ between two trees, sorted and without repeats.
 * Subtrees with equal ids are skipped whole, so the cost follows the change, not the repository.
 */
export async function changedBetween(store: ObjectStore, before: string, after: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (a: string | undefined, b: string | undefined, prefix: string): Promise<void> => {
    if (a === b) return;
    const left = new Map((a ? await store.tree(a, prefix || '.') : []).map((e) => [e.path, e]));
    const right = new Map((b ? await store.tree(b, prefix || '.') : []).map((e) => [e.path, e]));
    for (const name of new Set([...left.keys(), ...right.keys()])) {
      const l = left.get(name);
      const r = right.get(name);
      const path = prefixed(prefix, name);
      if (l && r && l.oid === r.oid && l.mode === r.mode) continue;
      const lTree = l?.mode === MODE.tree;
      const rTree = r?.mode === MODE.tree;
      if (lTree && rTree) {
        await walk(l.oid, r.oid, path);
        continue;
      }
      await side(store, lTree ? l : undefined, path, out);
      await side(store, rTree ? r : undefined, path, out);
      if ((l && !lTree) || (r && !rTree)) out.push(path);
    }
  };
  await walk(before, after, '');
  return [...new Set(out)].sort();
}
