import type { GitPush, RefUpdate } from '../git-server';
import { git } from './git-repo';

/**
 * GitHub lists up to 20 commits in what it shows of a push; listing no more keeps the payload small,
 * and the receiver diffs `before..after` when the list may have been cut (GITHUB_LIMITS).
 */
const MAX_COMMITS = 20;

interface PayloadCommit {
  id: string;
  tree_id: string;
  distinct: true;
  message: string;
  timestamp: string;
  author: { name: string; email: string };
  committer: { name: string; email: string };
  added: string[];
  removed: string[];
  modified: string[];
}

const isZero = (id: string) => /^0+$/.test(id);

/** The paths a commit added, modified and removed against its first parent (all added for a root commit). */
async function changes(gitDir: string, home: string, id: string, parent: string | undefined) {
  const args = ['diff-tree', '-r', '-z', '--no-renames', '--no-commit-id', '--name-status'];
  const out = await git(gitDir, home, parent ? [...args, parent, id] : [...args, '--root', id]);
  const fields = out.split('\0');
  const added: string[] = [];
  const removed: string[] = [];
  const modified: string[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const [status, path] = [fields[i] ?? '', fields[i + 1] ?? ''];
    if (status.startsWith('A')) added.push(path);
    else if (status.startsWith('D')) removed.push(path);
    else modified.push(path);
  }
  return { added, removed, modified };
}

/** The commits a ref update brought, oldest first, at most MAX_COMMITS (the newest). */
async function pushedCommits(gitDir: string, home: string, update: RefUpdate): Promise<string[]> {
  if (isZero(update.after)) return [];
  const range = isZero(update.before)
    ? // A new ref: the commits no other ref already had, as GitHub lists them.
      // (--glob, not --all: --all adds HEAD, which names the pushed branch itself in a bare repository.)
      [update.after, '--not', `--exclude=${update.ref}`, '--glob=refs/*']
    : [`${update.before}..${update.after}`];
  const out = await git(gitDir, home, ['rev-list', '--reverse', `--max-count=${MAX_COMMITS}`, ...range]);
  return out.split('\n').filter((line) => line !== '');
}

async function describe(gitDir: string, home: string, ids: string[]): Promise<PayloadCommit[]> {
  if (ids.length === 0) return [];
  const format = '%H%x00%T%x00%P%x00%an%x00%ae%x00%cn%x00%ce%x00%aI%x00%B%x1e';
  const out = await git(gitDir, home, ['show', '-s', `--format=${format}`, ...ids]);
  const commits: PayloadCommit[] = [];
  for (const record of out.split('\x1e')) {
    const [id, tree, parents, an, ae, cn, ce, date, message] = record.replace(/^\n/, '').split('\0');
    if (!id || tree === undefined) continue;
    const parent = parents?.split(' ').find((p) => p !== '');
    commits.push({
      id,
      tree_id: tree,
      distinct: true,
      message: (message ?? '').trimEnd(),
      timestamp: date ?? '',
      author: { name: an ?? '', email: ae ?? '' },
      committer: { name: cn ?? '', email: ce ?? '' },
      ...(await changes(gitDir, home, id, parent)),
    });
  }
  return commits;
}

/** Whether `before` is an ancestor of `after`: if not, the push rewrote history (a force push). */
async function fastForward(gitDir: string, home: string, update: RefUpdate): Promise<boolean> {
  if (isZero(update.before) || isZero(update.after)) return true;
  return git(gitDir, home, ['merge-base', '--is-ancestor', update.before, update.after]).then(
    () => true,
    () => false,
  );
}

/**
 * The body GitHub sends for a `push` event of one ref (the fields Plumbline and common receivers
 * read), computed from the repository the push landed in: the pushed commits with the paths each
 * added, modified and removed. `repoUrl` is the clone URL receivers identify the repository by.
 */
export async function githubPushPayload(
  push: GitPush,
  update: RefUpdate,
  home: string,
): Promise<Record<string, unknown>> {
  const commits = await describe(push.gitDir, home, await pushedCommits(push.gitDir, home, update));
  const name = push.repository.replace(/\.git$/, '');
  return {
    ref: update.ref,
    before: update.before,
    after: update.after,
    created: isZero(update.before),
    deleted: isZero(update.after),
    forced: !(await fastForward(push.gitDir, home, update)),
    base_ref: null,
    commits,
    head_commit: commits.at(-1) ?? null,
    repository: { name, full_name: `local/${name}`, clone_url: push.url, html_url: push.url, url: push.url },
    pusher: { name: push.user },
    sender: { login: push.user },
  };
}
