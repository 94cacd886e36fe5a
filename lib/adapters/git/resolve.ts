import { GitTreeError } from './errors';
import { joinPath, unsafeName } from './paths';
import { MODE, type ObjectStore, type TreeEntry } from './store';

/** A directory by its real path in the commit: each component with its tree, the root first. */
export type TreeStack = readonly { readonly name: string; readonly oid: string }[];

export type Node =
  | { readonly kind: 'tree'; readonly stack: TreeStack }
  | { readonly kind: 'file'; readonly oid: string; readonly mode: string; readonly real: string };

/** As many symbolic links in one lookup as Linux follows (ELOOP). */
const MAX_LINKS = 40;
/** Longer link targets are not paths anyone writes on purpose. */
const MAX_TARGET_BYTES = 4096;

export function realPath(stack: TreeStack): string {
  return joinPath(stack.slice(1).map((s) => s.name));
}

/** The target of a symbolic link entry, refused when absolute. */
export async function linkTarget(store: ObjectStore, entry: TreeEntry, where: string): Promise<string> {
  const bytes = await store.blob(entry.oid, where);
  if (bytes.byteLength > MAX_TARGET_BYTES) {
    throw new GitTreeError(`${where} is a symbolic link with an overlong target`, 'symlink', where);
  }
  const target = Buffer.from(bytes).toString('utf8');
  if (target.startsWith('/') || /^[A-Za-z]:[\\/]/.test(target)) {
    throw new GitTreeError(`${where} is a symbolic link to an absolute path`, 'symlink', where);
  }
  if (target === '') throw new GitTreeError(`${where} is a symbolic link with no target`, 'symlink', where);
  return target;
}

/**
 * Looks `rest` up from the directory `from`, as the kernel would in a checkout: component by component,
 * '..' popping a real directory, a symbolic link's target continuing from the link's own directory.
 * Refused: leaving the repository root, submodules, unsafe names, link loops. `origin` names the
 * path being resolved in messages.
 */
export async function resolveFrom(
  store: ObjectStore,
  from: TreeStack,
  rest: readonly string[],
  origin: string,
): Promise<Node> {
  const stack = [...from];
  const queue = [...rest];
  let links = 0;
  while (queue.length > 0) {
    const name = queue.shift()!;
    if (name === '' || name === '.') continue;
    if (name === '..') {
      if (stack.length === 1) {
        throw new GitTreeError(`${origin} leads out of the repository`, 'symlink', origin);
      }
      stack.pop();
      continue;
    }
    const why = unsafeName(name);
    if (why !== undefined) throw new GitTreeError(`${origin} is refused: ${why}`, 'path', origin);
    const dir = stack[stack.length - 1]!;
    const where = joinPath([...stack.slice(1).map((s) => s.name), name]);
    const entry = (await store.tree(dir.oid, realPath(stack))).find((e) => e.path === name);
    if (entry === undefined) {
      throw new GitTreeError(`${origin} does not exist (no ${where})`, 'missing', origin);
    }
    switch (entry.mode) {
      case MODE.tree:
        stack.push({ name, oid: entry.oid });
        break;
      case MODE.symlink: {
        if (++links > MAX_LINKS) {
          throw new GitTreeError(`${origin} is a symbolic link loop`, 'symlink', origin);
        }
        const target = await linkTarget(store, entry, where);
        queue.unshift(...target.split('/'));
        break;
      }
      case MODE.gitlink:
        throw new GitTreeError(`${where} is a submodule: submodules are not supported`, 'submodule', where);
      default:
        if (queue.some((part) => part !== '' && part !== '.')) {
          throw new GitTreeError(`${origin} does not exist (${where} is a file)`, 'missing', origin);
        }
        return { kind: 'file', oid: entry.oid, mode: entry.mode, real: where };
    }
  }
  return { kind: 'tree', stack };
}
