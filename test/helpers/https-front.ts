import { request as httpRequest } from 'node:http';
import { createServer, request as httpsRequest, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { eksToken } from '../../lib/adapters/aws/eks-token';
import { generateCertificates } from '../../lib/local/sandbox/certs';

/**
 * An HTTPS listener on 127.0.0.1 in front of a local server, with its own CA: what a clone URL or a
 * cluster endpoint looks like to deployed code, which accepts https:// only. `authorize` may refuse a
 * request (401) or replace its Authorization header before it is forwarded.
 */
export interface HttpsFront {
  readonly url: string;
  /** PEM of the CA that signed the listener's certificate (NODE_EXTRA_CA_CERTS, a cluster's CA data). */
  readonly caCert: string;
  stop(): Promise<void>;
}

export async function startHttpsFront(options: {
  target: string;
  /** The target's CA, when it is HTTPS. */
  targetCa?: string;
  authorize?: (authorization: string | undefined) => Promise<string | undefined>;
}): Promise<HttpsFront> {
  const certs = await generateCertificates();
  const target = new URL(options.target);
  const server: Server = createServer({ cert: certs.serverCert, key: certs.serverKey }, async (req, res) => {
    const headers = { ...req.headers, host: target.host };
    if (options.authorize) {
      const replaced = await options.authorize(req.headers.authorization);
      if (replaced === undefined) {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            kind: 'Status',
            apiVersion: 'v1',
            status: 'Failure',
            reason: 'Unauthorized',
            code: 401,
          }),
        );
        return;
      }
      headers.authorization = replaced;
    }
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const upstream = send(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers,
        ...(options.targetCa ? { ca: options.targetCa } : {}),
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    caCert: certs.caCert,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Checks an EKS bearer token as EKS does through STS: a presigned GetCallerIdentity for `cluster`,
 * signed (x-k8s-aws-id included) with credentials `sessions` issued, not expired. The signature is
 * checked by presigning the same request again with the issued secret and comparing.
 */
export function eksTokenCheck(
  cluster: string,
  region: string,
  sessions: ReadonlyMap<string, { secretAccessKey: string; sessionToken: string }>,
): (authorization: string | undefined) => Promise<boolean> {
  return async (authorization) => {
    const match = /^Bearer (k8s-aws-v1\.[A-Za-z0-9_-]+)$/.exec(authorization ?? '');
    if (!match) return false;
    let url: URL;
    try {
      url = new URL(Buffer.from(match[1]!.slice('k8s-aws-v1.'.length), 'base64url').toString('utf8'));
    } catch {
      return false;
    }
    const q = url.searchParams;
    const accessKeyId = q.get('X-Amz-Credential')?.split('/')[0] ?? '';
    const session = sessions.get(accessKeyId);
    const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(q.get('X-Amz-Date') ?? '');
    if (!session || !date || q.get('Action') !== 'GetCallerIdentity') return false;
    if (!(q.get('X-Amz-SignedHeaders') ?? '').split(';').includes('x-k8s-aws-id')) return false;
    const signedAt = new Date(Date.UTC(+date[1]!, +date[2]! - 1, +date[3]!, +date[4]!, +date[5]!, +date[6]!));
    if (Date.now() - signedAt.getTime() > 15 * 60 * 1000) return false;
    const expected = await eksToken({
      cluster,
      region,
      credentials: {
        accessKeyId,
        secretAccessKey: session.secretAccessKey,
        sessionToken: session.sessionToken,
      },
      now: signedAt,
    });
    return expected.token === match[1];
  };
}
