import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RenderLimits } from '../../core/render/port';
import { GitSourceError, GitTreeError, messageOf } from './errors';
import { joinPath, repoPath, unsafeName } from './paths';
import { linkTarget, type Node, realPath, resolveFrom, type TreeStack } from './resolve';
import { MODE, type ObjectStore } from './store';

/** What one app may write out: the render limits' byte bounds, and a file count. */
export type ReadLimits = Pick<RenderLimits, 'maxFileBytes' | 'maxTotalBytes'> & {
  /** Most files written for one app (default 10,000). */
  maxFiles?: number;
};

export const DEFAULT_MAX_FILES = 10_000;

export interface ReadAppResult {
  /** The files written, relative to the repository root (and to `dest`), in walk order. */
  readonly files: string[];
  readonly bytes: number;
  /**
   * Paths outside the app's path and `dependsOn` that its kustomizations name (`../base`), found and
   * written too. A push that changes only them does not reach the app: they belong in `dependsOn`.
   */
  readonly discovered?: readonly string[];
}

/** Files written at once; more would only queue in libuv's thread pool. */
const WRITE_CONCURRENCY = 16;

/**
 * Writes the files under `roots` at one commit into `dest`, at their repository paths, with no
 * checkout: only the trees on the way and the blobs written are read. Symbolic links that stay in the
 * repository are written as copies of what they point to; everything else unusual is refused.
 */
export class Materializer {
  private readonly files: string[] = [];
  private readonly written = new Set<string>();
  private readonly dirs = new Map<string, Promise<unknown>>();
  private readonly pending = new Set<Promise<void>>();
  private bytes = 0;
  private failure: unknown;

  constructor(
    private readonly store: ObjectStore,
    private readonly dest: string,
    private readonly limits: ReadLimits,
  ) {}

  async run(rootTree: string, roots: readonly string[]): Promise<ReadAppResult> {
    const top: TreeStack = [{ name: '', oid: rootTree }];
    try {
      for (const root of roots) {
        const parts = repoPath(root);
        const node = await resolveFrom(this.store, top, parts, root === '' ? '.' : root);
        await this.visit(node, parts, []);
      }
    } finally {
      await Promise.allSettled(this.pending);
    }
    if (this.failure !== undefined) throw this.failure;
    return { files: this.files, bytes: this.bytes };
  }

  /** Writes a resolved node at `out`; `chain` holds the real directories being walked, for loops. */
  private async visit(node: Node, out: readonly string[], chain: readonly string[]): Promise<void> {
    if (node.kind === 'file') {
      await this.file(node.oid, node.mode, out, node.real);
      return;
    }
    const real = realPath(node.stack);
    const where = joinPath(out);
    if (chain.some((dir) => dir === real || real === '.' || dir.startsWith(`${real}/`))) {
      throw new GitTreeError(`${where} is a symbolic link loop (back to ${real})`, 'symlink', where);
    }
    const dir = node.stack[node.stack.length - 1]!;
    for (const entry of await this.store.tree(dir.oid, real)) {
      const path = [...out, entry.path];
      const name = joinPath(path);
      const why = unsafeName(entry.path);
      if (why !== undefined) throw new GitTreeError(`${name} is refused: ${why}`, 'path', name);
      switch (entry.mode) {
        case MODE.tree:
          await this.visit(
            { kind: 'tree', stack: [...node.stack, { name: entry.path, oid: entry.oid }] },
            path,
            [...chain, real],
          );
          break;
        case MODE.file:
        case MODE.executable:
          await this.file(entry.oid, entry.mode, path, name);
          break;
        case MODE.symlink: {
          const target = await linkTarget(this.store, entry, name);
          const resolved = await resolveFrom(this.store, node.stack, target.split('/'), name);
          await this.visit(resolved, path, [...chain, real]);
          break;
        }
        case MODE.gitlink:
          throw new GitTreeError(`${name} is a submodule: submodules are not supported`, 'submodule', name);
        default:
          throw new GitTreeError(`${name} has the unsupported mode ${entry.mode}`, 'mode', name);
      }
    }
  }

  private async file(oid: string, mode: string, out: readonly string[], source: string): Promise<void> {
    const path = joinPath(out);
    if (this.written.has(path)) return;
    const maxFiles = this.limits.maxFiles ?? DEFAULT_MAX_FILES;
    if (this.files.length >= maxFiles) {
      throw new GitTreeError(`${path}: more than ${maxFiles} files in one app`, 'limit', path);
    }
    const blob = await this.store.blob(oid, source);
    if (blob.byteLength > this.limits.maxFileBytes) {
      throw new GitTreeError(
        `${path} is ${blob.byteLength} bytes, over the ${this.limits.maxFileBytes}-byte file limit`,
        'limit',
        path,
      );
    }
    if (this.bytes + blob.byteLength > this.limits.maxTotalBytes) {
      throw new GitTreeError(
        `${path}: the app's files are over the ${this.limits.maxTotalBytes}-byte total limit`,
        'limit',
        path,
      );
    }
    this.bytes += blob.byteLength;
    this.written.add(path);
    this.files.push(path);
    await this.write(out, blob, mode === MODE.executable ? 0o755 : 0o644);
  }

  /** Queued writes with a fixed limit in flight; the first failure is kept and rethrown by `run`. */
  private async write(out: readonly string[], blob: Uint8Array, mode: number): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    while (this.pending.size >= WRITE_CONCURRENCY) await Promise.race(this.pending);
    const parent = join(this.dest, ...out.slice(0, -1));
    const task = (async () => {
      let made = this.dirs.get(parent);
      if (made === undefined) {
        made = mkdir(parent, { recursive: true });
        this.dirs.set(parent, made);
      }
      await made;
      // 'wx': never replace or follow anything already in dest.
      await writeFile(join(this.dest, ...out), blob, { flag: 'wx', mode });
    })().catch((err: unknown) => {
      const code =
        typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : messageOf(err);
      this.failure ??= new GitSourceError(
        `cannot write ${joinPath(out)} into the destination: ${code}`,
        'io',
        {
          cause: err,
        },
      );
    });
    const tracked = task.finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }
}
