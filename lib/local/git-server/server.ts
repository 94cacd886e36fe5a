import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { authenticate, type GitServerAuth } from './auth';
import { runHttpBackend } from './cgi';
import { GitServerError } from './errors';

export interface GitServerOptions {
  /** The directory holding the bare repositories, served as `<url>/<name>.git`. */
  root: string;
  /** Required credentials; without, every request is served. */
  auth?: GitServerAuth;
}

export interface GitServerRequest {
  readonly method: string;
  /** Path and query, e.g. `/app.git/info/refs?service=git-upload-pack`. */
  readonly path: string;
  readonly status: number;
}

export interface GitServer {
  /** `http://127.0.0.1:PORT`, without a trailing slash. */
  readonly url: string;
  /** Every request answered so far, in order: tests and benchmarks count round trips with it. */
  readonly requests: GitServerRequest[];
  stop(): Promise<void>;
}

function handle(options: GitServerOptions, root: string, req: IncomingMessage, res: ServerResponse): void {
  let user = 'anonymous';
  if (options.auth) {
    const found = authenticate(options.auth, req.headers.authorization);
    if (found === undefined) {
      req.resume();
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="plumbline"', 'Content-Type': 'text/plain' });
      res.end('authentication required\n');
      return;
    }
    user = found;
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  let pathInfo: string;
  try {
    pathInfo = decodeURIComponent(url.pathname);
  } catch {
    req.resume();
    res.writeHead(400, { 'Content-Type': 'text/plain' });
    res.end('bad path\n');
    return;
  }
  // http-backend refuses '..' itself; the early answer keeps such requests from spawning anything.
  if (pathInfo.split('/').includes('..')) {
    req.resume();
    res.writeHead(403, { 'Content-Type': 'text/plain' });
    res.end('forbidden\n');
    return;
  }
  runHttpBackend(req, res, { root, remoteUser: user, pathInfo, query: url.search.slice(1) });
}

/**
 * A git smart-HTTP server on 127.0.0.1 and a free port: `git http-backend` run as CGI for each request,
 * optionally behind basic or bearer auth. Used by the tests, the benchmarks and `plumbline local`.
 */
export async function startGitServer(options: GitServerOptions): Promise<GitServer> {
  const root = resolve(options.root);
  const requests: GitServerRequest[] = [];
  const server = createServer((req, res) => {
    res.on('finish', () => {
      requests.push({ method: req.method ?? 'GET', path: req.url ?? '/', status: res.statusCode });
    });
    handle(options, root, req, res);
  });
  await new Promise<void>((done, reject) => {
    server.once('error', (err: unknown) =>
      reject(new GitServerError('cannot listen on 127.0.0.1', { cause: err })),
    );
    server.listen(0, '127.0.0.1', () => done());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    stop: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
