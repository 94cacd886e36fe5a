import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, type Stats } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { RenderError } from './errors';

/** A directory in the repository: `path` for people, `real` (symbolic links resolved) for I/O. */
export interface RepoDir {
  /** Relative to the repository root, '/'-separated; '.' for the root. */
  readonly path: string;
  readonly real: string;
}

export interface RepoFile extends RepoDir {
  /** From stat, before any byte is read. */
  readonly size: number;
}

export interface WalkOptions {
  /** Also visit names starting with '.', except `.git` (a copy for a binary needs `.env`, `.helmignore`). */
  readonly hidden?: boolean;
}

/** What `lookup` found at a path. */
export type Lookup =
  | { readonly kind: 'file'; readonly file: RepoFile }
  | { readonly kind: 'dir'; readonly dir: RepoDir }
  | { readonly kind: 'missing' }
  /** The path itself climbs above the root (`../x`). */
  | { readonly kind: 'leaves' }
  /** A symbolic link on the way resolves outside the repository. */
  | { readonly kind: 'escapes' }
  | { readonly kind: 'loop' }
  | { readonly kind: 'special'; readonly what: string };

interface Entry extends RepoDir {
  readonly name: string;
  /** lstat (and realpath for links), started when the directory is listed: walks overlap their I/O. */
  followed?: Promise<{ real: string; stats: Stats }>;
}

function codeOf(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') {
    return err.code;
  }
  return err instanceof Error ? err.message : String(err);
}

function within(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!isAbsolute(rel) && rel !== '..' && !rel.startsWith(`..${sep}`));
}

function posix(path: string): string {
  return sep === '/' ? path : path.split(sep).join('/');
}

function special(stats: Stats): string {
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isCharacterDevice()) return 'a character device';
  return 'not a regular file';
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Read access to a checked-out repository that never leaves it: every path is resolved with
 * realpath and must stay inside realpath(root), symbolic links included (DESIGN.md, security
 * invariants). Renderers that hand a directory to a binary check it with `files` first.
 */
export class RepoTree {
  private constructor(
    private readonly root: string,
    private readonly realRoot: string,
  ) {}

  static async open(repoRoot: string): Promise<RepoTree> {
    const root = resolve(repoRoot);
    try {
      return new RepoTree(root, await realpath(root));
    } catch (err: unknown) {
      throw new RenderError(`cannot open the repository root: ${codeOf(err)}`, { cause: err });
    }
  }

  /** The app directory: relative to the root or absolute inside it, resolving inside it. */
  async appDir(appPath: string): Promise<RepoDir> {
    const lexical = resolve(this.root, appPath);
    const base = within(this.root, lexical)
      ? this.root
      : within(this.realRoot, lexical)
        ? this.realRoot
        : undefined;
    if (base === undefined) {
      throw new RenderError(`app path ${JSON.stringify(appPath)} leaves the repository`);
    }
    const path = posix(relative(base, lexical)) || '.';
    let real: string;
    try {
      real = await realpath(lexical);
    } catch (err: unknown) {
      const code = codeOf(err);
      if (code === 'ENOENT') throw new RenderError(`app path ${path} does not exist`, { cause: err });
      if (code === 'ELOOP') throw new RenderError(`app path ${path} is a symbolic link loop`, { cause: err });
      throw new RenderError(`cannot resolve app path ${path}: ${code}`, { cause: err });
    }
    if (!within(this.realRoot, real)) {
      throw new RenderError(`app path ${path} resolves outside the repository`);
    }
    const stats = await this.stat(real, path);
    if (!stats.isDirectory()) throw new RenderError(`app path ${path} is not a directory`);
    return { path, real };
  }

  /**
   * The files under `dir` whose names `accept` takes, depth first, names in plain string order
   * (directories where they sort). Names starting with '.' are skipped (with `hidden`, only `.git`
   * is). Every other entry is
   * checked: a symbolic link must resolve inside the repository, special files are refused,
   * and each real directory or accepted file is visited once, which also ends link loops.
   */
  async *files(
    dir: RepoDir,
    accept: (name: string) => boolean,
    options: WalkOptions = {},
  ): AsyncGenerator<RepoFile> {
    const hidden = options.hidden === true;
    const seen = new Map<string, string>([[dir.real, dir.path]]);
    const stack = await this.children(dir, hidden);
    for (let entry = stack.pop(); entry; entry = stack.pop()) {
      const { real, stats } = await (entry.followed ?? this.follow(entry));
      const isDir = stats.isDirectory();
      if (!isDir && !stats.isFile()) {
        throw new RenderError(
          `${entry.path} is ${special(stats)}: an app holds only files, directories and links`,
        );
      }
      if (!isDir && !accept(entry.name)) continue;
      const first = seen.get(real);
      if (first !== undefined) {
        throw new RenderError(
          `${entry.path} leads to ${first} again (a symbolic link loop or a second link to it)`,
        );
      }
      seen.set(real, entry.path);
      if (!isDir) {
        yield { path: entry.path, real, size: stats.size };
        continue;
      }
      for (const child of await this.children({ path: entry.path, real }, hidden)) stack.push(child);
    }
  }

  /** The text of a file from `files` or `lookup`, as UTF-8 (see readBytes). */
  async readText(file: RepoFile): Promise<string> {
    const bytes = await this.readBytes(file);
    try {
      return utf8.decode(bytes);
    } catch (err: unknown) {
      throw new RenderError(`${file.path} is not valid UTF-8 text`, { cause: err });
    }
  }

  /**
   * The bytes of a file from `files` or `lookup`, read through one descriptor, never more than stat
   * said. Synchronous I/O behind the promise: files are at most maxFileBytes, and for the many small
   * files of an app it is several times faster than fs/promises (four round trips to the thread pool
   * per file); `npm run bench -- sync` reads 1,000.
   */
  async readBytes(file: RepoFile): Promise<Buffer> {
    const { O_RDONLY, O_NOFOLLOW = 0, O_NONBLOCK = 0 } = constants;
    let bytes: Buffer;
    try {
      // O_NONBLOCK: opening a FIFO swapped in since the walk must not hang the sync.
      const fd = openSync(file.real, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
      try {
        const stats = fstatSync(fd);
        if (!stats.isFile() || stats.size !== file.size) {
          throw new RenderError(`${file.path} changed while being read`);
        }
        bytes = Buffer.alloc(file.size + 1);
        let length = 0;
        while (length < bytes.length) {
          const bytesRead = readSync(fd, bytes, length, bytes.length - length, length);
          if (bytesRead === 0) break;
          length += bytesRead;
        }
        if (length > file.size) throw new RenderError(`${file.path} changed while being read`);
        bytes = bytes.subarray(0, length);
      } finally {
        closeSync(fd);
      }
    } catch (err: unknown) {
      if (err instanceof RenderError) throw err;
      throw new RenderError(`cannot read ${file.path}: ${codeOf(err)}`, { cause: err });
    }
    return bytes;
  }

  /**
   * What a repository-relative path ('/'-separated; `..` resolved lexically, as in a copy that holds
   * no links) names: a file or directory inside the repository, symbolic links resolved, or why not.
   */
  async lookup(path: string): Promise<Lookup> {
    const lexical = resolve(this.root, path);
    if (!within(this.root, lexical)) return { kind: 'leaves' };
    const logical = posix(relative(this.root, lexical)) || '.';
    let real: string;
    try {
      real = await realpath(lexical);
    } catch (err: unknown) {
      const code = codeOf(err);
      if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'missing' };
      if (code === 'ELOOP') return { kind: 'loop' };
      throw new RenderError(`cannot resolve ${logical}: ${code}`, { cause: err });
    }
    if (!within(this.realRoot, real)) return { kind: 'escapes' };
    const stats = await this.stat(real, logical);
    if (stats.isDirectory()) return { kind: 'dir', dir: { path: logical, real } };
    if (stats.isFile()) return { kind: 'file', file: { path: logical, real, size: stats.size } };
    return { kind: 'special', what: special(stats) };
  }

  /** Entries of a real directory, sorted, hidden ones (or only `.git`) left out; reversed, ready to pop. */
  private async children(dir: RepoDir, hidden = false): Promise<Entry[]> {
    let names: string[];
    try {
      names = await readdir(dir.real);
    } catch (err: unknown) {
      throw new RenderError(`cannot list ${dir.path}: ${codeOf(err)}`, { cause: err });
    }
    const entries: Entry[] = names
      .filter((name) => (hidden ? name !== '.git' : !name.startsWith('.')))
      .sort()
      .reverse()
      .map((name) => ({
        name,
        path: dir.path === '.' ? name : `${dir.path}/${name}`,
        real: join(dir.real, name),
      }));
    for (const entry of entries) {
      entry.followed = this.follow(entry);
      // Awaited in walk order; a rejection before then must not count as unhandled.
      entry.followed.catch(() => undefined);
    }
    return entries;
  }

  /** lstat, and for a symbolic link the target, which must be inside the repository. */
  private async follow(entry: Entry): Promise<{ real: string; stats: Stats }> {
    let stats: Stats;
    try {
      // Synchronous, like readBytes: one lstat per entry, and most entries are plain files.
      stats = lstatSync(entry.real);
    } catch (err: unknown) {
      throw new RenderError(`cannot read ${entry.path}: ${codeOf(err)}`, { cause: err });
    }
    if (!stats.isSymbolicLink()) return { real: entry.real, stats };
    let real: string;
    try {
      real = await realpath(entry.real);
    } catch (err: unknown) {
      const code = codeOf(err);
      if (code === 'ENOENT') throw new RenderError(`${entry.path} is a broken symbolic link`, { cause: err });
      if (code === 'ELOOP') throw new RenderError(`${entry.path} is a symbolic link loop`, { cause: err });
      throw new RenderError(`cannot resolve ${entry.path}: ${code}`, { cause: err });
    }
    if (!within(this.realRoot, real)) {
      throw new RenderError(`${entry.path} is a symbolic link that resolves outside the repository`);
    }
    return { real, stats: await this.stat(real, entry.path) };
  }

  private async stat(real: string, path: string): Promise<Stats> {
    try {
      return await stat(real);
    } catch (err: unknown) {
      throw new RenderError(`cannot read ${path}: ${codeOf(err)}`, { cause: err });
    }
  }
}
