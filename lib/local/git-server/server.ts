import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { authenticate, type GitServerAuth } from './auth';
import { type CgiRequest, runHttpBackend } from './cgi';
import { GitServerError } from './errors';
import { type RefUpdate, readRefs, refUpdates } from './refs';

/** A push the server accepted: what a git host turns into a `push` webhook. */
export interface GitPush {
  /** The repository's path under the root, e.g. `config.git`. */
  readonly repository: string;
  /** Its URL, e.g. `http://127.0.0.1:PORT/config.git`: what clients clone. */
  readonly url: string;
  /** Its directory (a bare repository). */
  readonly gitDir: string;
  /** The authenticated user, `anonymous` without auth. */
  readonly user: string;
  /** The refs the push moved, in ref order; never empty. */
  readonly updates: readonly RefUpdate[];
}

export interface GitServerOptions {
  /** The directory holding the bare repositories, served as `<url>/<name>.git`. */
  root: string;
  /** Required credentials; without, every request is served. */
  auth?: GitServerAuth;
  /**
   * Called after each push (git-receive-pack) that moved refs, as a git host fires its push webhooks:
   * not awaited, and what it throws is dropped, so it reports its own failures.
   */
  onPush?: (push: GitPush) => void | Promise<void>;
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

const RECEIVE_PACK = '/git-receive-pack';

/** Pushes to one repository, one at a time, so the refs read before and after belong to that push alone. */
class PushLocks {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release: () => void = () => undefined;
    const tail = new Promise<void>((done) => {
      release = done;
    });
    this.tails.set(key, tail);
    await previous;
    try {
      return await work();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

/** Runs a git-receive-pack request and reports the refs it moved to onPush. */
async function receivePack(
  options: GitServerOptions & { onPush: NonNullable<GitServerOptions['onPush']> },
  base: string,
  locks: PushLocks,
  req: IncomingMessage,
  res: ServerResponse,
  cgi: CgiRequest,
): Promise<void> {
  const repository = cgi.pathInfo.slice(1, -RECEIVE_PACK.length);
  const gitDir = join(cgi.root, repository);
  const updates = await locks.run(gitDir, async () => {
    const before = await readRefs(gitDir);
    if ((await runHttpBackend(req, res, cgi)) !== 0) return [];
    return refUpdates(before, await readRefs(gitDir));
  });
  if (updates.length === 0) return;
  const push: GitPush = { repository, url: `${base}/${repository}`, gitDir, user: cgi.remoteUser, updates };
  await Promise.resolve()
    .then(() => options.onPush(push))
    .catch(() => undefined);
}

function handle(
  options: GitServerOptions,
  root: string,
  base: string,
  locks: PushLocks,
  req: IncomingMessage,
  res: ServerResponse,
): void {
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
  const cgi: CgiRequest = { root, remoteUser: user, pathInfo, query: url.search.slice(1) };
  const { onPush } = options;
  if (
    onPush &&
    req.method === 'POST' &&
    pathInfo.endsWith(RECEIVE_PACK) &&
    pathInfo.length > RECEIVE_PACK.length
  )
    void receivePack({ ...options, onPush }, base, locks, req, res, cgi);
  else void runHttpBackend(req, res, cgi);
}

/**
 * A git smart-HTTP server on 127.0.0.1 and a free port: `git http-backend` run as CGI for each request,
 * optionally behind basic or bearer auth, reporting accepted pushes to `onPush`. Used by the tests, the
 * benchmarks and `plumbline local`.
 */
export async function startGitServer(options: GitServerOptions): Promise<GitServer> {
  const root = resolve(options.root);
  const requests: GitServerRequest[] = [];
  const locks = new PushLocks();
  let base = '';
  const server = createServer((req, res) => {
    res.on('finish', () => {
      requests.push({ method: req.method ?? 'GET', path: req.url ?? '/', status: res.statusCode });
    });
    handle(options, root, base, locks, req, res);
  });
  await new Promise<void>((done, reject) => {
    server.once('error', (err: unknown) =>
      reject(new GitServerError('cannot listen on 127.0.0.1', { cause: err })),
    );
    server.listen(0, '127.0.0.1', () => done());
  });
  const { port } = server.address() as AddressInfo;
  base = `http://127.0.0.1:${port}`;
  return {
    url: base,
    requests,
    stop: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
