import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { ClusterApiError, ClusterUnreachableError } from '../../core/sync/ports';
import { DEFAULT_RETRY, isRetryableError, isRetryableStatus, type RetryPolicy, retryDelayMs } from './retry';

export interface KubeRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly path: string;
  readonly query?: Record<string, string | undefined>;
  readonly body?: unknown;
  readonly contentType?: string;
}

export interface KubeResponse {
  readonly status: number;
  readonly body: unknown;
  /** The texts of the response's `Warning` headers (deprecated APIs, admission webhooks). */
  readonly warnings: readonly string[];
}

/**
 * What KubeHttp needs of a kubeconfig: the server, and TLS options plus headers per request. A
 * client-node KubeConfig is one; EksClusterAccess builds a lighter one, so the Lambda bundle does
 * not carry client-node.
 */
export interface KubeAuth {
  getCurrentCluster(): { readonly server: string } | null;
  applyToHTTPSOptions(opts: never): Promise<void>;
}

interface TlsOptions {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  rejectUnauthorized?: boolean;
  servername?: string;
  headers?: Record<string, string>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * JSON over HTTPS to the Kubernetes API with the credentials of a client-node KubeConfig
 * (tokens, client certificates, exec plugins), one keep-alive connection pool, and retries
 * with backoff on 429/5xx and connection failures, honouring Retry-After.
 */
export class KubeHttp {
  private pool: HttpsAgent | HttpAgent | undefined;
  private readonly server: string;
  /** Requests sent, retries included; for tests and benchmarks. */
  requests = 0;

  constructor(
    private readonly kc: KubeAuth,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
    private readonly connections = 32,
  ) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new ClusterUnreachableError('the kubeconfig has no current cluster');
    this.server = cluster.server.replace(/\/+$/, '');
  }

  async send(req: KubeRequest): Promise<KubeResponse> {
    const url = new URL(this.server + req.path);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const payload = req.body === undefined ? undefined : JSON.stringify(req.body);
    for (let attempt = 1; ; attempt++) {
      const tls = await this.tlsOptions();
      const headers: Record<string, string> = { Accept: 'application/json', ...(tls.headers ?? {}) };
      if (payload !== undefined) {
        headers['Content-Type'] = req.contentType ?? 'application/json';
        // Explicit: node:http sends DELETE bodies unframed otherwise.
        headers['Content-Length'] = String(Buffer.byteLength(payload));
      }
      let status: number;
      let text: string;
      let retryAfter: string | undefined;
      let warnings: string[];
      try {
        this.requests += 1;
        ({ status, text, retryAfter, warnings } = await this.roundTrip(
          url,
          req.method,
          headers,
          payload,
          tls,
        ));
      } catch (err: unknown) {
        if (isRetryableError(err) && attempt < this.retry.attempts) {
          await sleep(retryDelayMs(this.retry, attempt, undefined));
          continue;
        }
        throw new ClusterUnreachableError(
          `${req.method} ${url.pathname}: ${err instanceof Error ? err.message : String(err)}`,
          { cause: err },
        );
      }
      if (isRetryableStatus(status) && attempt < this.retry.attempts) {
        await sleep(retryDelayMs(this.retry, attempt, retryAfter));
        continue;
      }
      const body = parseBody(text);
      if (status >= 400) throw toApiError(req, url, status, body);
      return { status, body, warnings };
    }
  }

  async close(): Promise<void> {
    this.pool?.destroy();
    this.pool = undefined;
  }

  private async tlsOptions(): Promise<TlsOptions> {
    const opts: TlsOptions = {};
    await this.kc.applyToHTTPSOptions(opts as never);
    return opts;
  }

  /** One request over the kept-alive pool (node:http(s), so the Lambda bundle needs no HTTP library). */
  private roundTrip(
    url: URL,
    method: string,
    headers: Record<string, string>,
    payload: string | undefined,
    tls: TlsOptions,
  ): Promise<{ status: number; text: string; retryAfter: string | undefined; warnings: string[] }> {
    const secure = url.protocol === 'https:';
    this.pool ??= secure
      ? new HttpsAgent({
          keepAlive: true,
          maxSockets: this.connections,
          ...(tls.ca ? { ca: tls.ca } : {}),
          ...(tls.cert ? { cert: tls.cert } : {}),
          ...(tls.key ? { key: tls.key } : {}),
          ...(tls.rejectUnauthorized !== undefined ? { rejectUnauthorized: tls.rejectUnauthorized } : {}),
          ...(tls.servername ? { servername: tls.servername } : {}),
        })
      : new HttpAgent({ keepAlive: true, maxSockets: this.connections });
    const send = secure ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const request = send(url, { method, headers, agent: this.pool }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const header = res.headers['retry-after'];
          resolve({
            status: res.statusCode ?? 0,
            text: Buffer.concat(chunks).toString('utf8'),
            retryAfter: Array.isArray(header) ? header[0] : header,
            warnings: warningsOf(res.rawHeaders),
          });
        });
      });
      request.on('error', reject);
      request.end(payload);
    });
  }
}

/** `299 - "text"` (RFC 7234 warn-code, agent, quoted text): the API server's warnings, each header apart. */
const WARNING = /^\d{3} \S+ "((?:[^"\\]|\\.)*)"/;

function warningsOf(rawHeaders: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i]?.toLowerCase() !== 'warning') continue;
    const match = WARNING.exec(rawHeaders[i + 1] ?? '');
    if (match) out.push((match[1] ?? '').replace(/\\(.)/g, '$1'));
  }
  return out;
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function toApiError(req: KubeRequest, url: URL, status: number, body: unknown): ClusterApiError {
  const s = (typeof body === 'object' && body !== null ? body : {}) as {
    message?: unknown;
    reason?: unknown;
    details?: { causes?: unknown };
  };
  const message =
    typeof s.message === 'string' ? s.message : `${req.method} ${url.pathname} failed with HTTP ${status}`;
  const reason = typeof s.reason === 'string' ? s.reason : `HTTP${status}`;
  const causes = Array.isArray(s.details?.causes)
    ? (s.details.causes as { field?: string; message?: string; type?: string }[])
    : [];
  return new ClusterApiError(message, status, reason, causes);
}
