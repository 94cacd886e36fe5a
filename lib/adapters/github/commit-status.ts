import { setTimeout as sleep } from 'node:timers/promises';
import { inspect } from 'node:util';
import { Redactor } from '../../core/redact';
import { CommitStatusError } from './errors';
import { githubRepoFromUrl } from './repo-url';

export const COMMIT_STATES = ['pending', 'success', 'failure', 'error'] as const;
export type CommitState = (typeof COMMIT_STATES)[number];

/** GitHub answers 422 to a longer description; it is shortened instead (the status matters more). */
export const MAX_DESCRIPTION_LENGTH = 140;
/** A longer context is refused, not cut: two contexts cut to the same prefix would overwrite each other. */
export const MAX_CONTEXT_LENGTH = 255;

export interface CommitStatusInput {
  /** The HTTPS clone URL, as in the deployment config. */
  readonly repoUrl: string;
  /** The full 40-hex commit id. */
  readonly commit: string;
  readonly state: CommitState;
  /** Which status this is, e.g. `plumbline/<cluster>/<app>`; a later status of the same context replaces it. */
  readonly context: string;
  readonly description: string;
  readonly targetUrl?: string;
}

export interface GitHubCommitStatusOptions {
  /** The token, read when a status is sent (the caller caches it). */
  readonly token: () => Promise<string>;
  /** The REST API base; by default derived from the repository URL's host. */
  readonly apiUrl?: string;
  /** For the whole call, the retry included (default 5000 ms). */
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
  /** Wait before the retry when GitHub names none (default 500 ms, jittered down to half). */
  readonly retryDelayMs?: number;
  /** The longest Retry-After honoured (default 3000 ms); a longer one fails the call instead. */
  readonly maxRetryAfterMs?: number;
}

const API_VERSION = '2022-11-28';
/** Enough for GitHub's error JSON; a body past this is not GitHub's error format anyway. */
const MAX_ERROR_BODY = 64 * 1024;
const SHA = /^[0-9a-f]{40}$/i;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
const CONTROL = /[\u0000-\u001f\u007f]/;
/** What an HTTP header value may hold; anything else makes fetch throw with the value in its message. */
const HEADER_SAFE = /^[\x21-\x7e]+$/;

/**
 * Sets a commit status on GitHub or GitHub Enterprise Server (`POST /repos/{o}/{r}/statuses/{sha}`),
 * e.g. after a sync (#7). One retry, on a 5xx, a 429, a 403 that names a Retry-After (GitHub's
 * secondary rate limit) or no answer; the whole call is bounded by `timeoutMs`, so a slow GitHub
 * cannot eat the sync's Lambda time. Every failure is a one-line CommitStatusError without the token.
 */
export class GitHubCommitStatus {
  private readonly timeoutMs: number;
  private readonly retryDelayMs: number;
  private readonly maxRetryAfterMs: number;

  constructor(private readonly options: GitHubCommitStatusOptions) {
    if (options.apiUrl !== undefined && !/^https?:\/\/[^/?#]+(\/[^?#]*)?$/.test(options.apiUrl)) {
      throw new CommitStatusError('commit status: apiUrl must be an http(s) URL without query', 'input');
    }
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.retryDelayMs = options.retryDelayMs ?? 500;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 3000;
  }

  async report(input: CommitStatusInput): Promise<void> {
    const { apiUrl, owner, repo, sha, where } = this.target(input.repoUrl, input.commit);
    const body = JSON.stringify(statusBody(input, where));
    const res = await this.send('POST', `${apiUrl}/repos/${owner}/${repo}/statuses/${sha}`, where, body);
    await res.body?.cancel();
  }

  /**
   * The state GitHub shows now for `context` on the commit (the combined status, newest per
   * context), or undefined when there is none: scheduled checks post only a change, since GitHub
   * keeps at most 1,000 statuses per commit and context.
   */
  async current(input: {
    readonly repoUrl: string;
    readonly commit: string;
    readonly context: string;
  }): Promise<CommitState | undefined> {
    const { apiUrl, owner, repo, sha, where } = this.target(input.repoUrl, input.commit);
    const res = await this.send(
      'GET',
      `${apiUrl}/repos/${owner}/${repo}/commits/${sha}/status?per_page=100`,
      where,
    );
    let parsed: unknown;
    try {
      parsed = JSON.parse((await res.text()).slice(0, 4 * 1024 * 1024));
    } catch {
      throw new CommitStatusError(`commit status for ${where}: GitHub's combined status is not JSON`, 'http');
    }
    const statuses = (parsed as { statuses?: unknown } | null)?.statuses;
    if (!Array.isArray(statuses)) return undefined;
    for (const status of statuses as { context?: unknown; state?: unknown }[]) {
      if (status?.context === input.context && (COMMIT_STATES as readonly unknown[]).includes(status.state))
        return status.state as CommitState;
    }
    return undefined;
  }

  private target(repoUrl: string, commit: string) {
    const { apiUrl, owner, repo } = githubRepoFromUrl(repoUrl, this.options.apiUrl);
    if (!SHA.test(commit)) {
      throw new CommitStatusError('commit status: the commit must be a full 40-hex commit id', 'input');
    }
    const sha = commit.toLowerCase();
    return { apiUrl, owner, repo, sha, where: `${owner}/${repo}@${sha.slice(0, 12)}` };
  }

  /** One call with the retry and the deadline; resolves with a 2xx response, else a CommitStatusError. */
  private async send(method: 'GET' | 'POST', url: string, where: string, body?: string): Promise<Response> {
    const token = await this.readToken(where);
    const redactor = new Redactor();
    redactor.register(token);
    const fail = (
      message: string,
      code: 'http' | 'network' | 'timeout',
      status?: number,
      cause?: unknown,
    ) => {
      const text = inspect(cause, { depth: 4 });
      const keep = cause !== undefined && redactor.redact(text) === text ? { cause } : undefined;
      return new CommitStatusError(
        redactor.redact(`commit status for ${where}: ${message}`),
        code,
        status,
        keep,
      );
    };

    const started = Date.now();
    const deadline = started + this.timeoutMs;
    const signal = AbortSignal.timeout(this.timeoutMs);
    const timedOut = (cause: unknown) =>
      fail(`no answer from GitHub within ${this.timeoutMs} ms`, 'timeout', undefined, cause);
    for (let attempt = 1; ; attempt++) {
      let error: CommitStatusError;
      let waitMs = this.backoff();
      try {
        const res = await (this.options.fetch ?? fetch)(url, {
          method,
          headers: {
            Accept: 'application/vnd.github+json',
            Authorization: `Bearer ${token}`,
            ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
            'User-Agent': 'plumbline',
            'X-GitHub-Api-Version': API_VERSION,
          },
          ...(body === undefined ? {} : { body }),
          signal,
        });
        if (res.ok) return res;
        error = fail(`GitHub answered ${res.status} ${await errorMessage(res)}`, 'http', res.status);
        const retryAfter = retryAfterMs(res.headers.get('retry-after'));
        if (!retryable(res.status, retryAfter !== undefined)) throw error;
        if (retryAfter !== undefined) {
          // A wait GitHub asks for that is longer than we may spend: fail now with its answer.
          if (retryAfter > this.maxRetryAfterMs) throw error;
          waitMs = retryAfter;
        }
      } catch (err: unknown) {
        if (err instanceof CommitStatusError) throw err;
        if (signal.aborted) throw timedOut(err);
        error = fail(`no answer from GitHub: ${networkMessage(err)}`, 'network', undefined, err);
      }
      if (attempt >= 2 || Date.now() + waitMs >= deadline) throw error;
      try {
        await sleep(waitMs, undefined, { signal });
      } catch (err: unknown) {
        throw timedOut(err);
      }
    }
  }

  private async readToken(where: string): Promise<string> {
    let token: string;
    try {
      token = await this.options.token();
    } catch (err: unknown) {
      const message =
        typeof err === 'object' && err !== null && 'message' in err ? String(err.message) : String(err);
      throw new CommitStatusError(
        `commit status for ${where}: the GitHub token could not be read: ${message}`,
        'token',
        undefined,
        { cause: err },
      );
    }
    if (typeof token !== 'string' || !HEADER_SAFE.test(token)) {
      // Not the value: fetch's own error for a bad header would print it.
      throw new CommitStatusError(
        `commit status for ${where}: the GitHub token is empty or holds characters a header cannot carry`,
        'token',
      );
    }
    return token;
  }

  private backoff(): number {
    return Math.round(this.retryDelayMs * (0.5 + Math.random() / 2));
  }
}

function statusBody(input: CommitStatusInput, where: string): Record<string, string> {
  const refuse = (why: string): never => {
    throw new CommitStatusError(`commit status for ${where}: ${why}`, 'input');
  };
  if (!(COMMIT_STATES as readonly string[]).includes(input.state)) {
    refuse(`state must be one of ${COMMIT_STATES.join(', ')}`);
  }
  if (input.context.length === 0 || [...input.context].length > MAX_CONTEXT_LENGTH) {
    refuse(`the context must be 1 to ${MAX_CONTEXT_LENGTH} characters`);
  }
  if (CONTROL.test(input.context)) refuse('the context must not hold control characters');
  const body: Record<string, string> = { state: input.state, context: input.context };
  const description = shorten(input.description.replace(/\s+/g, ' ').trim(), MAX_DESCRIPTION_LENGTH);
  if (description) body.description = description;
  if (input.targetUrl !== undefined) {
    if (!URL.canParse(input.targetUrl) || !/^https?:$/.test(new URL(input.targetUrl).protocol)) {
      refuse('the target URL must be an http(s) URL');
    }
    body.target_url = input.targetUrl;
  }
  return body;
}

/** Cut to `max` characters as GitHub counts them (code points), the last one an ellipsis. */
export function shorten(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

function retryable(status: number, hasRetryAfter: boolean): boolean {
  return status >= 500 || status === 429 || (status === 403 && hasRetryAfter);
}

/** Retry-After in seconds or as an HTTP date, in milliseconds from now. */
function retryAfterMs(value: string | null): number | undefined {
  if (value === null) return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/**
 * GitHub's `message`, and the first of its validation `errors`; never the raw body (an error page
 * from a proxy is no message, and bodies are not logged).
 */
async function errorMessage(res: Response): Promise<string> {
  let text = '';
  try {
    text = (await res.text()).slice(0, MAX_ERROR_BODY);
  } catch {
    // The status line still says what happened.
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && 'message' in parsed) {
      const { message, errors } = parsed as { message: unknown; errors?: unknown };
      const first: unknown = Array.isArray(errors) ? errors[0] : undefined;
      const detail =
        typeof first === 'object' && first !== null && 'message' in first && typeof first.message === 'string'
          ? `: ${first.message}`
          : '';
      if (typeof message === 'string') return `${message}${detail}`.slice(0, 300);
    }
  } catch {
    // Not JSON: fall back to the status text.
  }
  return res.statusText || '(no message)';
}

/**
 * `fetch failed (ECONNREFUSED)`: undici hides the reason in the cause. Duck-typed: fetch's errors
 * come from another realm than this module's Error in some runtimes (jest's vm among them).
 */
function networkMessage(err: unknown): string {
  const field = (value: unknown, name: string): unknown =>
    typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
  const message = field(err, 'message');
  const code = field(field(err, 'cause'), 'code');
  const text = typeof message === 'string' ? message : String(err);
  return typeof code === 'string' ? `${text} (${code})` : text;
}
