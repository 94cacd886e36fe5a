import { spawn } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface CgiRequest {
  readonly root: string;
  /** The authenticated user; http-backend records it in reflogs. */
  readonly remoteUser: string;
  readonly pathInfo: string;
  readonly query: string;
}

/** Headers end at the first empty line; http-backend writes CRLF, other CGI programs may write LF. */
function headerEnd(buf: Buffer): { at: number; skip: number } | undefined {
  const crlf = buf.indexOf('\r\n\r\n');
  const lf = buf.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { at: crlf, skip: 4 };
  if (lf >= 0) return { at: lf, skip: 2 };
  return undefined;
}

/** Status and headers from a CGI header block ("Status: 404 Not Found", "Content-Type: …"). */
function parseHeaders(block: string): { status: number; headers: Record<string, string> } {
  let status = 200;
  const headers: Record<string, string> = {};
  for (const line of block.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 500;
    else headers[name] = value;
  }
  return { status, headers };
}

function fail(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'Content-Type': 'text/plain' });
  res.end(`${text}\n`);
}

/**
 * Runs `git http-backend` for one request (RFC 3875): the request body goes to its stdin, Content-Encoding
 * (gzip from the git CLI) is passed on for it to inflate, and its output's CGI headers become the response.
 * Resolves with its exit code once it has exited (null when it could not start or was killed).
 */
export function runHttpBackend(
  req: IncomingMessage,
  res: ServerResponse,
  cgi: CgiRequest,
): Promise<number | null> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    GIT_PROJECT_ROOT: cgi.root,
    GIT_HTTP_EXPORT_ALL: '1',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    // Pushes are allowed so that tests and `plumbline local` can push to the served repositories.
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'http.receivepack',
    GIT_CONFIG_VALUE_0: 'true',
    REMOTE_USER: cgi.remoteUser,
    REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
    GATEWAY_INTERFACE: 'CGI/1.1',
    SERVER_PROTOCOL: `HTTP/${req.httpVersion}`,
    REQUEST_METHOD: req.method ?? 'GET',
    PATH_INFO: cgi.pathInfo,
    QUERY_STRING: cgi.query,
    CONTENT_TYPE: req.headers['content-type'] ?? '',
  };
  const length = req.headers['content-length'];
  if (length !== undefined) env.CONTENT_LENGTH = length;
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined) env.HTTP_CONTENT_ENCODING = encoding;
  const protocol = req.headers['git-protocol'];
  if (typeof protocol === 'string') env.HTTP_GIT_PROTOCOL = protocol;

  const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'ignore'] });
  const exited = new Promise<number | null>((resolve) => {
    child.on('close', (code) => resolve(code));
    child.on('error', () => {
      fail(res, 500, 'git http-backend could not start');
      resolve(null);
    });
  });
  let head: Buffer | undefined = Buffer.alloc(0);
  child.stdin.on('error', () => undefined);
  req.pipe(child.stdin);
  res.on('close', () => {
    if (child.exitCode === null) child.kill();
  });
  child.stdout.on('data', (chunk: Buffer) => {
    if (head === undefined) {
      if (!res.write(chunk)) {
        child.stdout.pause();
        res.once('drain', () => child.stdout.resume());
      }
      return;
    }
    head = Buffer.concat([head, chunk]);
    const end = headerEnd(head);
    if (!end) return;
    const { status, headers } = parseHeaders(head.subarray(0, end.at).toString('latin1'));
    const rest = head.subarray(end.at + end.skip);
    head = undefined;
    res.writeHead(status, headers);
    if (rest.length > 0) res.write(rest);
  });
  child.stdout.on('end', () => {
    if (head !== undefined) fail(res, 502, 'git http-backend wrote no headers');
    else res.end();
  });
  return exited;
}
