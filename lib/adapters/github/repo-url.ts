import { CommitStatusError } from './errors';

/** The repository a clone URL names, and the REST API that serves it. */
export interface GitHubRepo {
  /** `https://api.github.com`, `https://HOST/api/v3`, or the apiUrl given; no trailing slash. */
  readonly apiUrl: string;
  readonly owner: string;
  readonly repo: string;
}

const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;
const REPO = /^[A-Za-z0-9_.-]+$/;

/** The URL without user info, query or fragment: safe to put in an error even if it held a token. */
function shown(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/**
 * The owner and repository of an HTTPS clone URL, `https://github.com/o/r` with or without `.git` and
 * a trailing slash; any other host is taken as GitHub Enterprise Server, whose API is at `/api/v3`
 * unless `apiUrl` says where. Anything else (SSH, other schemes, credentials in the URL, more or fewer
 * than two path segments) is refused: a status must not land on a repository the URL did not name.
 */
export function githubRepoFromUrl(repoUrl: string, apiUrl?: string): GitHubRepo {
  let url: URL;
  try {
    url = new URL(repoUrl);
  } catch {
    const scp = /^[^/@\s]+@[^:/\s]+:/.test(repoUrl);
    throw new CommitStatusError(
      scp
        ? 'commit status: an SSH repository URL cannot name a GitHub API; use the HTTPS clone URL (https://github.com/OWNER/REPO.git)'
        : 'commit status: the repository URL is not a URL; expected https://github.com/OWNER/REPO.git',
      'input',
    );
  }
  const refuse = (why: string): never => {
    throw new CommitStatusError(
      `commit status: ${why} in repository URL ${shown(url)}; expected https://HOST/OWNER/REPO(.git)`,
      'input',
    );
  };
  if (url.protocol !== 'https:') refuse(`scheme ${url.protocol.slice(0, -1)} not supported`);
  if (url.username || url.password) refuse('credentials not allowed');
  if (url.search || url.hash) refuse('query or fragment not allowed');
  const segments = url.pathname.replace(/\/+$/, '').split('/').slice(1);
  if (segments.length !== 2) refuse('not OWNER/REPO');
  // Not decoded: a percent sign is no part of a valid name, so an escaped one is refused below.
  const owner = segments[0]!;
  const repo = segments[1]!.replace(/\.git$/, '');
  if (!OWNER.test(owner)) refuse('bad owner name');
  if (!REPO.test(repo) || repo === '.' || repo === '..') refuse('bad repository name');
  const host = url.host.toLowerCase();
  const api =
    apiUrl?.replace(/\/+$/, '') ??
    (host === 'github.com' || host === 'www.github.com'
      ? 'https://api.github.com'
      : `https://${host}/api/v3`);
  return { apiUrl: api, owner, repo };
}
