import * as fs from 'node:fs';
import * as git from 'isomorphic-git';
import { GitSourceError, GitTreeError } from './errors';

export interface TreeEntry {
  readonly mode: string;
  /** The entry's name within its tree. */
  readonly path: string;
  readonly oid: string;
}

export const MODE = {
  tree: '040000',
  file: '100644',
  executable: '100755',
  symlink: '120000',
  gitlink: '160000',
} as const;

function codeOf(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string'
    ? err.code
    : undefined;
}

/**
 * Objects of one cached repository, read through isomorphic-git with a shared pack cache; trees are
 * memoized per store, since a walk with symbolic links reads the same trees more than once.
 */
export class ObjectStore {
  private readonly trees = new Map<string, Promise<readonly TreeEntry[]>>();

  constructor(
    readonly gitdir: string,
    private readonly cache: object,
  ) {}

  async has(oid: string): Promise<boolean> {
    try {
      await git.readObject({ fs, gitdir: this.gitdir, oid, format: 'deflated', cache: this.cache });
      return true;
    } catch (err: unknown) {
      if (codeOf(err) === 'NotFoundError') return false;
      throw err;
    }
  }

  /** Any object's type and content (a thin pack's delta base). */
  async object(oid: string): Promise<{ type: string; object: Uint8Array }> {
    const { type, object } = await this.read(oid, 'object');
    if (!(object instanceof Uint8Array))
      throw new GitSourceError(`object ${oid} is unreadable`, 'missing-commit');
    return { type, object };
  }

  /** The raw commit object (headers and message), as signatures are computed over it. */
  async commitObject(oid: string): Promise<Uint8Array> {
    const { type, object } = await this.read(oid, 'commit');
    if (type !== 'commit' || !(object instanceof Uint8Array)) {
      throw new GitSourceError(`${oid} is a ${type}, not a commit`, 'missing-commit');
    }
    return object;
  }

  async commitParents(oid: string): Promise<readonly string[]> {
    const { commit } = await git.readCommit({ fs, gitdir: this.gitdir, oid, cache: this.cache });
    return commit.parent;
  }

  async commitTree(oid: string): Promise<string> {
    const { commit } = await git.readCommit({ fs, gitdir: this.gitdir, oid, cache: this.cache });
    return commit.tree;
  }

  /** A tree's entries; `where` names it in refusals ('.' for the root). */
  tree(oid: string, where: string): Promise<readonly TreeEntry[]> {
    let entries = this.trees.get(oid);
    if (entries === undefined) {
      const loading = this.loadTree(oid, where);
      // A failed read is not remembered: the next walk tries again.
      loading.catch(() => this.trees.delete(oid));
      this.trees.set(oid, loading);
      entries = loading;
    }
    return entries;
  }

  async blob(oid: string, where: string): Promise<Uint8Array> {
    try {
      const { blob } = await git.readBlob({ fs, gitdir: this.gitdir, oid, cache: this.cache });
      return blob;
    } catch (err: unknown) {
      throw new GitTreeError(
        `cannot read ${where}: ${codeOf(err) ?? 'unreadable object'}`,
        'missing',
        where,
        {
          cause: err,
        },
      );
    }
  }

  private async loadTree(oid: string, where: string): Promise<readonly TreeEntry[]> {
    try {
      const { tree } = await git.readTree({ fs, gitdir: this.gitdir, oid, cache: this.cache });
      return tree.map(({ mode, path, oid: entryOid }) => ({ mode, path, oid: entryOid }));
    } catch (err: unknown) {
      // isomorphic-git refuses '..', '.git' and separators in tree entry names, and unknown modes.
      const code = codeOf(err);
      if (code === 'UnsafeFilepathError') {
        throw new GitTreeError(`${where} holds an entry with an unsafe name`, 'path', where, { cause: err });
      }
      if (code === 'InternalError') {
        throw new GitTreeError(`${where} holds an entry with an unknown mode`, 'mode', where, { cause: err });
      }
      throw new GitTreeError(`cannot read ${where}: ${code ?? 'unreadable tree'}`, 'missing', where, {
        cause: err,
      });
    }
  }

  private async read(oid: string, expected: string): Promise<git.ReadObjectResult> {
    try {
      return await git.readObject({ fs, gitdir: this.gitdir, oid, format: 'content', cache: this.cache });
    } catch (err: unknown) {
      throw new GitSourceError(`${expected} ${oid} is not in the cache`, 'missing-commit', { cause: err });
    }
  }
}
