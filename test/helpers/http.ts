import { request } from 'node:https';
import type { Sandbox } from '../../lib/local/sandbox';

export interface HttpResult {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  json<T = Record<string, unknown>>(): T;
}

/** A raw HTTPS request to the sandbox (trusting its CA), for what client libraries hide. */
export function sandboxRequest(
  sandbox: Sandbox,
  method: string,
  path: string,
  options: { body?: string; contentType?: string; token?: string | null } = {},
): Promise<HttpResult> {
  const url = new URL(path, sandbox.url);
  const headers: Record<string, string> = {};
  const token = options.token === undefined ? sandbox.token : options.token;
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers['Content-Type'] = options.contentType ?? 'application/json';
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, ca: sandbox.caCert }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body,
          json: <T>() => JSON.parse(body) as T,
        });
      });
    });
    req.on('error', reject);
    req.end(options.body);
  });
}
