import { request } from 'node:https';

/** How GET /api/v1/namespaces/NAME answered. */
export type NamespaceAnswer =
  | { readonly kind: 'found' }
  | { readonly kind: 'missing' }
  | { readonly kind: 'denied'; readonly status: number; readonly message: string }
  | { readonly kind: 'unreachable'; readonly message: string };

export interface NamespaceReader {
  get(
    cluster: { endpoint: string; caData: string; token: string },
    namespace: string,
  ): Promise<NamespaceAnswer>;
}

/** Private endpoints drop packets from outside their VPC: give up quickly instead of at the TCP timeout. */
const TIMEOUT_MS = 5000;

/** One GET per namespace over HTTPS, the cluster's CA pinned, the EKS token as bearer; never retried. */
export function namespaceReader(timeoutMs = TIMEOUT_MS): NamespaceReader {
  return {
    get: (cluster, namespace) =>
      new Promise((resolve) => {
        const url = new URL(`/api/v1/namespaces/${encodeURIComponent(namespace)}`, cluster.endpoint);
        const req = request(
          url,
          {
            method: 'GET',
            ca: Buffer.from(cluster.caData, 'base64'),
            rejectUnauthorized: true,
            headers: { Accept: 'application/json', Authorization: `Bearer ${cluster.token}` },
            timeout: timeoutMs,
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              const status = res.statusCode ?? 0;
              if (status === 200) return resolve({ kind: 'found' });
              if (status === 404) return resolve({ kind: 'missing' });
              resolve({
                kind: 'denied',
                status,
                message: statusMessage(Buffer.concat(chunks).toString('utf8')),
              });
            });
          },
        );
        req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
        req.on('error', (err) => resolve({ kind: 'unreachable', message: err.message }));
        req.end();
      }),
  };
}

function statusMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { message?: unknown };
    if (typeof body.message === 'string') return body.message;
  } catch {
    // Not a Status object: fall through to the status line.
  }
  return text.slice(0, 200);
}
