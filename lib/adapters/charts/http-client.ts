import { ChartFetchError, ChartRefusedError } from './errors';

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
}

/**
 * One GET with a time limit and a bounded body. Network failures, 429 and 5xx are retryable
 * ChartFetchErrors; the caller decides what other statuses mean. Redirects are followed (registries
 * send blobs to object storage); fetch drops Authorization when a redirect changes origin.
 */
export async function httpGet(url: string, options: GetOptions): Promise<HttpResponse> {
  const doFetch = options.fetch ?? fetch;
  let response: Response;
  try {
    response = await doFetch(url, {
      method: 'GET',
      headers: options.headers ?? {},
      redirect: 'follow',
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (err: unknown) {
    throw new ChartFetchError(`${options.what}: cannot reach ${origin(url)}: ${reason(err)}`, { cause: err });
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
