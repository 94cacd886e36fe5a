import { ChartFetchError, ChartRefusedError } from './errors';
import { guardUrl, MAX_REDIRECTS } from './url-guard';

export interface HttpResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Buffer;
}

/** What the chart sources need of HTTP: tests and local mode pass the global fetch, as Lambda does. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface GetOptions {
  readonly headers?: Record<string, string>;
  /** The body is refused past this many bytes, counted as it streams in. */
  readonly maxBytes: number;
  readonly timeoutMs: number;
  /** Names the request in errors (never its credentials). */
  readonly what: string;
  readonly fetch?: FetchLike;
  /** The allow-listed repository this request serves: every URL and redirect hop is checked against it (url-guard.ts). */
  readonly repository: string;
}

/**
 * One GET with a time limit and a bounded body. Network failures, 429 and 5xx are retryable
 * ChartFetchErrors; the caller decides what other statuses mean. Redirects are followed by hand
 * (registries send blobs to object storage), each hop checked by guardUrl; Authorization is
 * dropped when a hop changes origin.
 */
export async function httpGet(url: string, options: GetOptions): Promise<HttpResponse> {
  const doFetch = options.fetch ?? fetch;
  let response: Response;
  let at = url;
  let headers = options.headers ?? {};
  for (let hop = 0; ; hop++) {
    guardUrl(at, options.repository, options.what);
    try {
      response = await doFetch(at, {
        method: 'GET',
        headers,
        redirect: 'manual',
        signal: AbortSignal.timeout(options.timeoutMs),
      });
    } catch (err: unknown) {
      throw new ChartFetchError(`${options.what}: cannot reach ${origin(at)}: ${reason(err)}`, {
        cause: err,
      });
    }
    const location = response.headers.get('location');
    if (response.status < 300 || response.status > 399 || location === null) break;
    await response.body?.cancel().catch(() => undefined);
    if (hop >= MAX_REDIRECTS)
      throw new ChartRefusedError(
        `${options.what}: more than ${MAX_REDIRECTS} redirects from ${origin(url)}`,
      );
    const next = new URL(location, at).href;
    if (origin(next) !== origin(at)) headers = withoutAuthorization(headers);
    at = next;
  }
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > options.maxBytes) {
    await response.body?.cancel();
    throw new ChartRefusedError(
      `${options.what}: ${declared} bytes, over the ${options.maxBytes}-byte limit`,
    );
  }
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    if (response.body) {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        total += chunk.length;
        if (total > options.maxBytes) {
          await response.body.cancel().catch(() => undefined);
          throw new ChartRefusedError(`${options.what}: over the ${options.maxBytes}-byte limit`);
        }
        chunks.push(Buffer.from(chunk));
      }
    }
  } catch (err: unknown) {
    if (err instanceof ChartRefusedError) throw err;
    throw new ChartFetchError(`${options.what}: the download from ${origin(url)} broke off: ${reason(err)}`, {
      cause: err,
    });
  }
  if (response.status === 429 || response.status >= 500) {
    throw new ChartFetchError(`${options.what}: ${origin(url)} answered ${response.status}`);
  }
  return { status: response.status, headers: response.headers, body: Buffer.concat(chunks) };
}

function withoutAuthorization(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'authorization'));
}

/** Scheme, host and port only: a URL's path can carry a signed query, its user part a password. */
export function origin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(invalid URL)';
  }
}

function reason(err: unknown): string {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === 'string' ? code : cause.message;
  }
  return String(cause);
}
