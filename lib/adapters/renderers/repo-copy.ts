import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { RenderLimits } from '../../core/render';
import { RenderError } from './errors';
import type { RepoDir, RepoFile, RepoTree } from './repo-tree';

/** Files copied at once: the reads overlap, the limits bound the bytes in flight. */
const COPY_CONCURRENCY = 16;
/** Most files in one copy, whatever their size: empty files cost inodes and time too. */
export const MAX_COPY_FILES = 20_000;

/** A copy of part of the repository that holds regular files and directories only. */
export interface RepoCopy {
  /** The copy's counterpart of the repository root. */
  readonly root: string;
  /** The files copied, relative to the repository root, in walk order. */
  readonly files: readonly string[];
  /** Their total size: what is left of maxTotalBytes bounds what a renderer may add (unpacked charts). */
  readonly bytes: number;
  /** A private directory beside the copy (not inside it) for files the renderer writes itself. */
  readonly scratch: string;
  /** The absolute path in the copy of a repository-relative path. */
  at(path: string): string;
}

export interface CopyRequest {
  /** Directories copied whole (hidden entries too, `.git` never). */
  readonly dirs: readonly RepoDir[];
  /** Single files outside those directories (Helm value files). */
  readonly files?: readonly RepoFile[];
}

function inside(dir: string, path: string): boolean {
  return dir === '.' || path === dir || path.startsWith(`${dir}/`);
}

/** The requested directories without those inside another one, and the files outside them all. */
function minimal(request: CopyRequest): { dirs: RepoDir[]; files: RepoFile[] } {
  const dirs: RepoDir[] = [];
  for (const dir of [...request.dirs].sort((a, b) => a.path.length - b.path.length)) {
    if (!dirs.some((kept) => inside(kept.path, dir.path))) dirs.push(dir);
  }
  const files = (request.files ?? []).filter((f) => !dirs.some((d) => inside(d.path, f.path)));
  return { dirs, files };
}

async function collect(tree: RepoTree, request: CopyRequest, limits: RenderLimits): Promise<RepoFile[]> {
  const { dirs, files } = minimal(request);
  const selected: RepoFile[] = [];
  const seen = new Set<string>();
  let total = 0;
  const add = (file: RepoFile): void => {
    if (seen.has(file.path)) return;
    seen.add(file.path);
    if (file.size > limits.maxFileBytes) {
      throw new RenderError(
        `${file.path} is ${file.size} bytes, over the ${limits.maxFileBytes}-byte limit (maxFileBytes)`,
      );
    }
    total += file.size;
    if (total > limits.maxTotalBytes) {
      throw new RenderError(
        `${file.path} brings the files to render to ${total} bytes, over the ${limits.maxTotalBytes}-byte limit (maxTotalBytes)`,
      );
    }
    if (selected.length >= MAX_COPY_FILES) {
      throw new RenderError(`${file.path}: more than ${MAX_COPY_FILES} files to render`);
    }
    selected.push(file);
  };
  for (const dir of dirs) {
    for await (const file of tree.files(dir, () => true, { hidden: true })) add(file);
  }
  for (const file of files) add(file);
  return selected;
}

async function copyFiles(tree: RepoTree, files: readonly RepoFile[], root: string): Promise<void> {
  // Each directory is created once, whatever the number of files in it.
  const made = new Map<string, Promise<unknown>>();
  const makeDir = (dir: string) => {
    let done = made.get(dir);
    if (!done) {
      done = mkdir(dir, { recursive: true, mode: 0o700 });
      made.set(dir, done);
    }
    return done;
  };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const file = files[next++] as RepoFile;
      const bytes = await tree.readBytes(file);
      const target = join(root, file.path);
      await makeDir(dirname(target));
      // `wx`: the copy is fresh, so an existing file means two repository paths met in one place.
      await writeFile(target, bytes, { flag: 'wx', mode: 0o600 });
    }
  };
  await Promise.all(Array.from({ length: Math.min(COPY_CONCURRENCY, files.length) }, worker));
}

/**
 * Copies directories and files of the repository into a private temporary directory and runs
 * `use` on the copy, which is removed afterwards whatever happens. The walk is RepoTree's: a
 * symbolic link that leaves the repository, a link loop or a special file refuses the whole
 * render; a link that stays inside becomes a regular file or directory. So the copy holds no
 * links at all, and a binary that follows links there cannot leave it (issue #4). The copy is
 * bounded by maxFileBytes, maxTotalBytes and MAX_COPY_FILES.
 */
export async function withRepoCopy<T>(
  tree: RepoTree,
  request: CopyRequest,
  limits: RenderLimits,
  use: (copy: RepoCopy) => Promise<T>,
): Promise<T> {
  const files = await collect(tree, request, limits);
  const work = await mkdtemp(join(tmpdir(), 'plumbline-render-'));
  try {
    const root = join(work, 'repo');
    const scratch = join(work, 'scratch');
    await mkdir(scratch, { mode: 0o700 });
    for (const dir of request.dirs) await mkdir(join(root, dir.path), { recursive: true, mode: 0o700 });
    try {
      await copyFiles(tree, files, root);
    } catch (err: unknown) {
      if (err instanceof RenderError) throw err;
      throw new RenderError(`cannot copy the app for rendering: ${String(err).split('\n')[0]}`, {
        cause: err,
      });
    }
    return await use({
      root,
      scratch,
      files: files.map((f) => f.path),
      bytes: files.reduce((sum, f) => sum + f.size, 0),
      at: (path) => (path === '.' ? root : join(root, path)),
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
