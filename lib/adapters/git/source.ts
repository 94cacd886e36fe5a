import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as git from 'isomorphic-git';
import type { Ancestry } from '../../core/pipeline/ports';
import { walkAncestry } from './ancestry';
import type { GitCredentials } from './credentials';
import { changedBetween } from './diff';
import { GitSourceError, GitTreeError } from './errors';
import type { HttpStats } from './http';
import { outsideKustomizeRefs } from './kustomize-refs';
import { exclusive } from './lock';
import { Materializer, type ReadAppResult, type ReadLimits } from './materialize';
import { repoPath } from './paths';
import { displayUrl, kindOf, SHA } from './remote';
import { RemoteClient } from './remote-client';
import { resolveFrom } from './resolve';
import { ObjectStore } from './store';

export interface GitSourceOptions {
  /** https:// (or http://) URL of the repository; credentials come from `credentials`, never the URL. */
  url: string;
  credentials?: GitCredentials;
  /** Parent of the per-repository caches (default `os.tmpdir()/plumbline-git`: Lambda's /tmp). */
  cacheDir?: string;
  /** Largest response body accepted from the server (default 512 MiB). */
  maxResponseBytes?: number;
  /** Deadline of one HTTP request, its body included (default 60 s). */
  requestTimeoutMs?: number;
  /** Commits to deepen by, once, when a commit asked for is behind the shallow cache (default 50). */
  deepenBy?: number;
  /** Packs in the cache above which it is dropped and fetched afresh (default 64). */
  maxPacks?: number;
}

export interface FetchResult {
  /** The commit the ref points to, present in the cache. */
  readonly commit: string;
  /** False when the cache already held it: the check cost one request. */
  readonly fetched: boolean;
}

/**
 * A remote repository fetched into a local cache with isomorphic-git: one branch, shallow (depth 1)
 * on first use, incrementally afterwards, and files read straight from the object store at a commit.
 * See docs/adr/0008-git-source.md.
 */
/** Rounds of kustomize base discovery: a base of a base of a base is as deep as real repositories go. */
const MAX_DISCOVERY_ROUNDS = 5;

export class GitSource {
  readonly url: string;
  readonly gitdir: string;
  private readonly remote: RemoteClient;
  private readonly cache: object = {};
  private store: ObjectStore;
  private ready: Promise<void> | undefined;

  constructor(private readonly options: GitSourceOptions) {
    this.url = displayUrl(options.url);
    const key = createHash('sha256').update(this.url).digest('hex').slice(0, 24);
    this.gitdir = join(options.cacheDir ?? join(tmpdir(), 'plumbline-git'), key);
    this.remote = new RemoteClient(this.url, options.credentials, {
      maxResponseBytes: options.maxResponseBytes ?? 512 * 1024 * 1024,
      timeoutMs: options.requestTimeoutMs ?? 60_000,
    });
    this.store = new ObjectStore(this.gitdir, this.cache);
  }

  /** Requests made and bytes received so far. */
  get stats(): HttpStats {
    return this.remote.stats;
  }

  /** The commit a ref (branch, tag, full ref, HEAD) points to on the server: one request. */
  async resolve(ref: string): Promise<string> {
    if (SHA.test(ref)) return ref;
    return (await this.remote.lookup(ref)).commit;
  }

  /** Resolves the ref and fetches its commit unless the cache holds it already. */
  fetch(ref: string): Promise<FetchResult> {
    return exclusive(this.gitdir, async () => {
      await this.init();
      let found = await this.remote.lookup(ref);
      if (await this.store.has(found.commit)) {
        await this.writeRef(found.fullref, found.commit);
        return { commit: found.commit, fetched: false };
      }
      let commit = found.commit;
      if (!(await this.hasRef(found.fullref))) {
        // First fetch of this ref: one request and a native index (clone.ts). The branch may move
        // between the advertisement and the request; the server then refuses the old tip, once.
        try {
          await this.remote.shallow(found, this.gitdir, this.external);
        } catch (err: unknown) {
          if (!(err instanceof GitSourceError && /not our ref/.test(err.message))) throw err;
          found = await this.remote.lookup(ref);
          commit = found.commit;
          await this.remote.shallow(found, this.gitdir, this.external);
        }
      } else {
        const head = await this.remote.fetch(this.gitdir, this.cache, found.fullref, 1, false);
        // The branch may have moved since the lookup: what was fetched is the newer tip.
        if (found.fullref.startsWith('refs/heads/') && head !== undefined) commit = head;
      }
      if (!(await this.store.has(commit))) {
        throw new GitSourceError(
          `fetching ${kindOf(found.fullref)} of ${this.url} did not bring ${commit}`,
          'network',
        );
      }
      await this.writeRef(found.fullref, commit);
      return { commit, fetched: true };
    });
  }

  /** Makes sure `commit` is in the cache: fetches `ref`, then deepens once if the commit is older. */
  async ensureCommit(ref: string, commit: string): Promise<void> {
    await this.init();
    if (await this.store.has(commit)) return;
    const { commit: tip } = await this.fetch(ref);
    if (tip === commit || (await this.store.has(commit))) return;
    await this.deepen(ref);
    if (!(await this.store.has(commit))) {
      throw new GitSourceError(
        `commit ${commit} is not among the last ${this.options.deepenBy ?? 50} commits of ${ref} in ${this.url}`,
        'missing-commit',
      );
    }
  }

  /**
   * Whether `commit` is `ancestor` or one of its descendants on `ref` (only forward, #14). Both are
   * fetched through `ref` as ensureCommit does; a walk that ends at the shallow boundary deepens once
   * and walks again. `unknown` says why it cannot be decided: the caller treats that as "no".
   */
  async ancestry(ancestor: string, commit: string, ref: string): Promise<Ancestry> {
    for (const oid of [commit, ancestor]) {
      try {
        await this.ensureCommit(ref, oid);
      } catch (err: unknown) {
        if (err instanceof GitSourceError && err.code === 'missing-commit')
          return { kind: 'unknown', why: err.message };
        throw err;
      }
    }
    const first = await walkAncestry(this.store, ancestor, commit);
    if (first.kind !== 'unknown') return first;
    await this.deepen(ref);
    return walkAncestry(this.store, ancestor, commit);
  }

  /**
   * Writes the files of `appPath` (and of `extraPaths`: kustomize bases, value files) at `commit` into
   * `dest`, at their repository paths, for a renderer to read. The commit must be in the cache.
   */
  async readApp(
    commit: string,
    appPath: string,
    dest: string,
    limits: ReadLimits,
    extraPaths: readonly string[] = [],
  ): Promise<ReadAppResult> {
    const tree = await this.treeOf(commit);
    const materializer = new Materializer(this.store, dest, limits);
    const roots = [appPath, ...extraPaths];
    let result = await materializer.run(tree, roots);
    const discovered: string[] = [];
    let scanned = 0;
    // Kustomize bases outside the app (`resources: [../base]`), and theirs in turn, a bounded number of rounds.
    for (let round = 0; round < MAX_DISCOVERY_ROUNDS; round += 1) {
      const refs = await outsideKustomizeRefs(dest, result.files.slice(scanned), roots);
      scanned = result.files.length;
      const present: string[] = [];
      for (const ref of refs) if (await this.exists(tree, ref)) present.push(ref);
      if (present.length === 0) break;
      roots.push(...present);
      discovered.push(...present);
      result = await materializer.run(tree, present);
    }
    return discovered.length > 0 ? { ...result, discovered } : result;
  }

  /** Whether `path` names a file or directory at the tree; the renderer reports what is missing. */
  private async exists(tree: string, path: string): Promise<boolean> {
    try {
      await resolveFrom(this.store, [{ name: '', oid: tree }], repoPath(path), path);
      return true;
    } catch (err: unknown) {
      if (err instanceof GitTreeError) return false;
      throw err;
    }
  }

  /** One file at a commit (e.g. plumbline.yaml), or undefined when it does not exist. */
  async readFile(commit: string, path: string, maxBytes: number): Promise<Buffer | undefined> {
    const tree = await this.treeOf(commit);
    let node: Awaited<ReturnType<typeof resolveFrom>>;
    try {
      node = await resolveFrom(this.store, [{ name: '', oid: tree }], repoPath(path), path);
    } catch (err: unknown) {
      if (err instanceof GitTreeError && err.code === 'missing') return undefined;
      throw err;
    }
    if (node.kind === 'tree') throw new GitTreeError(`${path} is a directory`, 'path', path);
    const blob = await this.store.blob(node.oid, path);
    if (blob.byteLength > maxBytes) {
      throw new GitTreeError(
        `${path} is ${blob.byteLength} bytes, over the ${maxBytes}-byte limit`,
        'limit',
        path,
      );
    }
    return Buffer.from(blob);
  }

  /** The raw commit object, for signature verification (lib/core/signatures). */
  async readCommit(commit: string): Promise<Uint8Array> {
    await this.init();
    return this.store.commitObject(commit);
  }

  /**
   * Paths that differ between two commits, for fan-out when a push lists none. `after` must be
   * fetchable through `ref`; when `before` is not in the cache even after deepening once (a force-push,
   * a new branch, a long gap), the answer is undefined: the caller treats every app as changed.
   */
  async changedPaths(before: string, after: string, ref?: string): Promise<string[] | undefined> {
    if (!SHA.test(before) || /^0+$/.test(before) || !SHA.test(after)) return undefined;
    await this.init();
    if (!(await this.store.has(after))) {
      if (ref === undefined)
        throw new GitSourceError(`commit ${after} is not in the cache`, 'missing-commit');
      await this.ensureCommit(ref, after);
    }
    if (!(await this.store.has(before))) {
      if (ref === undefined) return undefined;
      await this.deepen(ref);
      if (!(await this.store.has(before))) return undefined;
    }
    return changedBetween(
      this.store,
      await this.store.commitTree(before),
      await this.store.commitTree(after),
    );
  }

  /** Drops the cache directory; the next fetch starts cold. */
  reset(): Promise<void> {
    return exclusive(this.gitdir, async () => {
      this.ready = undefined;
      await rm(this.gitdir, { recursive: true, force: true });
      this.store = new ObjectStore(this.gitdir, this.cache);
      for (const key of Object.keys(this.cache)) delete (this.cache as Record<string, unknown>)[key];
    });
  }

  /** Closes kept-alive connections. */
  close(): void {
    this.remote.close();
  }

  /** A thin pack's delta base, from the cache. */
  private readonly external = async (oid: string) =>
    (await this.store.has(oid)) ? this.store.object(oid) : undefined;

  private async treeOf(commit: string): Promise<string> {
    await this.init();
    if (!SHA.test(commit) || !(await this.store.has(commit))) {
      throw new GitSourceError(`commit ${commit} is not in the cache: fetch it first`, 'missing-commit');
    }
    return this.store.commitTree(commit);
  }

  private init(): Promise<void> {
    this.ready ??= (async () => {
      const packs = await readdir(join(this.gitdir, 'objects', 'pack')).catch(() => [] as string[]);
      // Every incremental fetch adds a pack and every read searches them all: start over past a bound.
      if (packs.filter((name) => name.endsWith('.pack')).length > (this.options.maxPacks ?? 64)) {
        await rm(this.gitdir, { recursive: true, force: true });
      }
      await git.init({ fs, dir: this.gitdir, bare: true });
      // isomorphic-git records fetched refs under the remote's refspec; the URL is for people looking.
      await git.addRemote({ fs, gitdir: this.gitdir, remote: 'origin', url: this.url, force: true });
    })();
    this.ready.catch(() => {
      this.ready = undefined;
    });
    return this.ready;
  }

  private async hasRef(fullref: string): Promise<boolean> {
    try {
      await git.resolveRef({ fs, gitdir: this.gitdir, ref: fullref, depth: 1 });
      return true;
    } catch {
      return false;
    }
  }

  private writeRef(fullref: string, oid: string): Promise<void> {
    return git.writeRef({ fs, gitdir: this.gitdir, ref: fullref, value: oid, force: true });
  }

  private async deepen(ref: string): Promise<void> {
    await exclusive(this.gitdir, async () => {
      const { fullref } = await this.remote.lookup(ref);
      await this.remote.fetch(this.gitdir, this.cache, fullref, this.options.deepenBy ?? 50, true);
    });
  }
}
