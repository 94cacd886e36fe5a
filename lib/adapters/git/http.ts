import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { GitHttpRequest, GitHttpResponse, HttpClient } from 'isomorphic-git';
import nodeHttp from 'isomorphic-git/http/node';
import { GitSourceError } from './errors';

/** Requests and bytes received through one source; benchmarks and tests count round trips with it. */
export interface HttpStats {
  requests: number;
  bytesReceived: number;
}

async function* metered(
  body: AsyncIterableIterator<Uint8Array>,
  stats: HttpStats,
  limit: number,
): AsyncIterableIterator<Uint8Array> {
  let bytes = 0;
  for await (const chunk of body) {
    bytes += chunk.byteLength;
    stats.bytesReceived += chunk.byteLength;
    if (bytes > limit) {
      throw new GitSourceError(`the server sent more than ${limit} bytes in one response`, 'too-large');
    }
    yield chunk;
  }
}

/**
 * The upload-pack request with `thin-pack` added to the first want line's capabilities. isomorphic-git
 * leaves it out because canonical git cannot read the packs it then stores, but only isomorphic-git
 * reads this cache and it resolves thin packs' external bases itself. Without it git's upload-pack
 * resends every object of the tree to a shallow client: an incremental fetch costs a clone.
 */
export function withThinPack(body: Uint8Array): Uint8Array {
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const length = Number.parseInt(buf.subarray(0, 4).toString('latin1'), 16);
  if (!(length > 4) || length > buf.length) return body;
  const line = buf.subarray(4, length).toString('latin1');
  if (!line.startsWith('want ') || !line.endsWith('\n') || line.split(' ').includes('thin-pack')) return body;
  const edited = `${line.slice(0, -1)} thin-pack\n`;
  const head = Buffer.from(`${(edited.length + 4).toString(16).padStart(4, '0')}${edited}`, 'latin1');
  return Buffer.concat([head, buf.subarray(length)]);
}

/**
 * isomorphic-git sends the request as an array holding one buffer, which its node client sends with a
 * Content-Length (CodeCommit needs one); the edited body keeps that shape, hence the cast.
 */
async function thinRequest(req: GitHttpRequest): Promise<GitHttpRequest> {
  if (req.method !== 'POST' || !req.url.endsWith('/git-upload-pack') || req.body === undefined) return req;
  const chunks: Uint8Array[] = [];
  for await (const chunk of req.body) chunks.push(chunk);
  const body = [withThinPack(Buffer.concat(chunks))];
  return { ...req, body: body as unknown as AsyncIterableIterator<Uint8Array> };
}

/**
 * isomorphic-git's node client with kept-alive connections (discovery and upload-pack share a TLS
 * session), a cap on each response body (a hostile server cannot fill /tmp or memory), a deadline on
 * each request, and counters.
 */
export function meteredHttp(
  stats: HttpStats,
  limits: { maxResponseBytes: number; timeoutMs: number },
  base: HttpClient = nodeHttp,
): { client: HttpClient; close(): void } {
  const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };
  const client: HttpClient = {
    async request(req: GitHttpRequest): Promise<GitHttpResponse> {
      stats.requests++;
      const agent = req.url.startsWith('https:') ? agents.https : agents.http;
      // One deadline per request, body included: a stalled server cannot hold a sync until Lambda's timeout.
      const signal = req.signal ?? AbortSignal.timeout(limits.timeoutMs);
      const res = await base.request({ ...(await thinRequest(req)), agent, signal });
      return res.body ? { ...res, body: metered(res.body, stats, limits.maxResponseBytes) } : res;
    },
  };
  return {
    client,
    close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}
