import type * as k8s from '@kubernetes/client-node';
import { Agent, type Dispatcher, request } from 'undici';
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
  private pool: Dispatcher | undefined;
  private readonly server: string;
  /** Requests sent, retries included; for tests and benchmarks. */
  requests = 0;

  constructor(
    private readonly kc: k8s.KubeConfig,
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
      if (payload !== undefined) headers['Content-Type'] = req.contentType ?? 'application/json';
      let status: number;
      let text: string;
      let retryAfter: string | undefined;
      try {
        this.requests += 1;
        const res = await request(url, {
          method: req.method,
          headers,
          body: payload,
          dispatcher: this.dispatcher(tls),
        });
        status = res.statusCode;
        text = await res.body.text();
        const header = res.headers['retry-after'];
        retryAfter = Array.isArray(header) ? header[0] : header;
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
      return { status, body };
    }
  }

  async close(): Promise<void> {
    await this.pool?.close();
    this.pool = undefined;
  }

  private async tlsOptions(): Promise<TlsOptions> {
    const opts: TlsOptions = {};
    await this.kc.applyToHTTPSOptions(opts as never);
    return opts;
  }

  private dispatcher(tls: TlsOptions): Dispatcher {
    if (!this.pool) {
      this.pool = new Agent({
        connections: this.connections,
        connect: {
          ...(tls.ca ? { ca: tls.ca } : {}),
          ...(tls.cert ? { cert: tls.cert } : {}),
          ...(tls.key ? { key: tls.key } : {}),
          ...(tls.rejectUnauthorized !== undefined ? { rejectUnauthorized: tls.rejectUnauthorized } : {}),
          ...(tls.servername ? { servername: tls.servername } : {}),
        },
      });
    }
    return this.pool;
  }
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
