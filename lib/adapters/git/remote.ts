import type { Redactor } from '../../core/redact';
import { safeCause } from './credentials';
import { GitSourceError, messageOf } from './errors';

export const SHA = /^[0-9a-f]{40}$/;

/** A non-200 answer to a request made outside isomorphic-git, shaped like its HttpError. */
export class HttpStatusError extends Error {
  readonly data: { statusCode: number };
  constructor(statusCode: number) {
    super(`HTTP ${statusCode}`);
    this.name = 'HttpStatusError';
    this.data = { statusCode };
  }
}

/** The URL as shown in messages and hashed for the cache: no credentials, no query, no fragment. */
export function displayUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new GitSourceError('the repository URL is not a valid URL', 'url');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new GitSourceError(
      `the repository URL must be https:// (or http://), not ${parsed.protocol}`,
      'url',
    );
  }
  const shown = `${parsed.protocol}//${parsed.host}${parsed.pathname.replace(/\/+$/, '')}`;
  if (parsed.username !== '' || parsed.password !== '') {
    throw new GitSourceError(`${shown}: credentials belong in the credentials store, not in the URL`, 'url');
  }
  return shown;
}

/** The full ref names a short name may stand for, in the order git tries them. */
export function candidateRefs(ref: string): string[] {
  if (ref.startsWith('refs/') || ref === 'HEAD') return [ref];
  return [`refs/heads/${ref}`, `refs/tags/${ref}`];
}

export function kindOf(fullref: string): string {
  if (fullref.startsWith('refs/heads/')) return `branch ${fullref.slice('refs/heads/'.length)}`;
  if (fullref.startsWith('refs/tags/')) return `tag ${fullref.slice('refs/tags/'.length)}`;
  return `ref ${fullref}`;
}

function field(err: unknown, key: string): unknown {
  return typeof err === 'object' && err !== null && key in err
    ? (err as Record<string, unknown>)[key]
    : undefined;
}

/** HTTP status of an isomorphic-git HttpError, if that is what was caught. */
function statusOf(err: unknown): number | undefined {
  const data = field(err, 'data');
  const status = field(data, 'statusCode');
  return typeof status === 'number' ? status : undefined;
}

/**
 * A caught value from isomorphic-git or the network as a GitSourceError. Messages are built from
 * status codes and error codes, never from response bodies or headers, and masked once more.
 */
export function sourceError(
  err: unknown,
  url: string,
  doing: string,
  redactor: Redactor,
  hasCredentials: boolean,
): GitSourceError {
  if (err instanceof GitSourceError) return err;
  const options = safeCause(err, redactor);
  const status = statusOf(err);
  if (status === 401 || status === 403) {
    const why = hasCredentials ? 'the credentials were refused' : 'no credentials are configured for it';
    return new GitSourceError(`${doing} ${url}: HTTP ${status}, ${why}`, 'auth', options);
  }
  if (status === 404) {
    return new GitSourceError(`${doing} ${url}: HTTP 404, no such repository`, 'not-found', options);
  }
  if (status !== undefined) {
    return new GitSourceError(`${doing} ${url}: HTTP ${status}`, 'network', options);
  }
  const code = field(err, 'code');
  const name = field(err, 'name');
  if (name === 'AbortError' || name === 'TimeoutError' || code === 'ABORT_ERR') {
    return new GitSourceError(`${doing} ${url}: the server did not answer in time`, 'network', options);
  }
  if (code === 'NotFoundError') {
    return new GitSourceError(`${doing} ${url}: the ref no longer exists`, 'ref-not-found', options);
  }
  const message = messageOf(err);
  const what = typeof code === 'string' && code !== 'InternalError' ? `${code}: ${message}` : message;
  return new GitSourceError(redactor.redact(`${doing} ${url}: ${what}`), 'network', options);
}
