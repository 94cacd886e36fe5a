import { isObj, type Obj } from '../manifests/object';
import { shown } from './headers';
import { isZeroCommit } from './types';

/** Reading an untrusted, already authenticated JSON payload: each helper returns undefined rather than throwing. */

export class PayloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PayloadError';
  }
}

const COMMIT = /^(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$/;
const MAX_REF = 1024;
const MAX_URL = 2048;
const MAX_NAME = 256;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
const CONTROL = /[\u0000-\u001f\u007f]/;

/** The JSON of a body; a form-encoded body (GitHub and Gitea can send one) carries it in `payload`. */
export function parseJson(body: Buffer, contentType: string | undefined): Obj {
  let text = body.toString('utf8');
  if (contentType?.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    const payload = new URLSearchParams(text).get('payload');
    if (payload === null) throw new PayloadError('form body without a payload field');
    text = payload;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new PayloadError('body is not valid JSON');
  }
  if (!isObj(value)) throw new PayloadError('body is not a JSON object');
  return value;
}

export function obj(value: unknown): Obj | undefined {
  return isObj(value) ? value : undefined;
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** A short display string (a user name) or undefined. */
export function name(...candidates: unknown[]): string | undefined {
  for (const candidate of candidates) {
    if (
      typeof candidate === 'string' &&
      candidate !== '' &&
      candidate.length <= MAX_NAME &&
      !CONTROL.test(candidate)
    ) {
      return candidate;
    }
  }
  return undefined;
}

export function requireCommit(value: unknown, field: string): string {
  if (typeof value !== 'string' || !COMMIT.test(value)) throw new PayloadError(`${field} is not a commit id`);
  return value.toLowerCase();
}

export function requireRef(value: unknown, field = 'ref'): string {
  if (
    typeof value !== 'string' ||
    !value.startsWith('refs/') ||
    value.length > MAX_REF ||
    CONTROL.test(value)
  ) {
    throw new PayloadError(`${field} is not a ref${typeof value === 'string' ? ` (${shown(value)})` : ''}`);
  }
  return value;
}

/** The first usable repository URL, or '' (the URL is a hint; the deployment config names the repository). */
export function url(...candidates: unknown[]): string {
  for (const candidate of candidates) {
    if (
      typeof candidate === 'string' &&
      candidate !== '' &&
      candidate.length <= MAX_URL &&
      !CONTROL.test(candidate)
    ) {
      return candidate;
    }
  }
  return '';
}

function stringList(value: unknown): string[] | undefined {
  if (value === undefined) return [];
  if (!Array.isArray(value)) return undefined;
  for (const item of value) if (typeof item !== 'string') return undefined;
  return value as string[];
}

export interface CommitListLimits {
  /** The provider lists at most this many commits; a list this long may have been cut. */
  maxCommits: number;
  /** GitHub cuts a commit's file lists at 3,000 entries. */
  maxFilesPerCommit: number;
}

/**
 * The union of added, modified and removed paths over `commits`, or undefined when the list may be
 * incomplete (too long, a commit with too many files, an entry that is not a list of strings, or
 * `total` saying more commits were pushed than listed): fan-out then diffs the two commits.
 */
export function changedPaths(
  commits: unknown,
  limits: CommitListLimits,
  total?: unknown,
): string[] | undefined {
  if (!Array.isArray(commits) || commits.length >= limits.maxCommits) return undefined;
  if (typeof total === 'number' && total > commits.length) return undefined;
  const paths = new Set<string>();
  for (const commit of commits) {
    if (!isObj(commit)) return undefined;
    let files = 0;
    for (const key of ['added', 'modified', 'removed'] as const) {
      const list = stringList(commit[key]);
      if (!list) return undefined;
      files += list.length;
      for (const path of list) paths.add(path);
    }
    if (files >= limits.maxFilesPerCommit) return undefined;
  }
  return [...paths];
}

/**
 * An empty commit list between two existing commits is a rewind, or a move to commits pushed
 * earlier: which paths differ is unknown, so the commits are diffed instead.
 */
export function pathsOrDiff(
  paths: string[] | undefined,
  before: string,
  after: string,
): string[] | undefined {
  if (paths?.length === 0 && before !== after && !isZeroCommit(before) && !isZeroCommit(after))
    return undefined;
  return paths;
}
