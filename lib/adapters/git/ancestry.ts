import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Ancestry } from '../../core/pipeline/ports';
import type { ObjectStore } from './store';

/** Commits walked at most: a bound on work, far beyond the 50 a cache deepens by. */
export const MAX_WALK = 10_000;

/**
 * Whether `commit` is `ancestor` or descends from it, as far as the cached history shows. `unknown`
 * when the walk reaches a shallow boundary or a missing commit before it finds the ancestor: a
 * shallow cache cannot tell "older" from "unrelated", and the caller must not guess.
 */
export async function walkAncestry(
  store: ObjectStore,
  ancestor: string,
  commit: string,
  maxCommits = MAX_WALK,
): Promise<Ancestry> {
  if (ancestor === commit) return { kind: 'descendant' };
  const shallow = await readFile(join(store.gitdir, 'shallow'), 'latin1').catch(() => '');
  const boundary = new Set(shallow.split('\n').filter(Boolean));
  // Breadth first, so that a shallow cut on one side of a merge does not hide the ancestor on the other.
  const queue = [commit];
  const seen = new Set(queue);
  let cut = false;
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    if (seen.size > maxCommits)
      return { kind: 'unknown', why: `more than ${maxCommits} commits lie behind ${commit.slice(0, 12)}` };
    if (!(await store.has(next))) {
      cut = true;
      continue;
    }
    const parents = await store.commitParents(next);
    if (parents.includes(ancestor)) return { kind: 'descendant' };
    if (boundary.has(next)) {
      cut = true;
      continue;
    }
    for (const parent of parents) {
      if (seen.has(parent)) continue;
      seen.add(parent);
      queue.push(parent);
    }
  }
  return cut
    ? {
        kind: 'unknown',
        why: `the fetched history of ${commit.slice(0, 12)} ends before reaching ${ancestor.slice(0, 12)}`,
      }
    : { kind: 'unrelated' };
}
