import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join, normalize } from 'node:path';

export interface LocalChartRepository {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** TCP connections accepted so far: a test asserts that rendering opened none. */
  connections(): number;
  stop(): Promise<void>;
}

/**
 * A static chart repository on loopback: the files of `dir` (index.yaml and the .tgz archives
 * `helm repo index` describes) served read-only, as any web server would.
 */
export async function startChartRepository(dir: string): Promise<LocalChartRepository> {
  let connections = 0;
  const server: Server = createServer((req, res) => {
    const path = normalize(decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/'));
    if (req.method !== 'GET' || path.includes('..')) {
      res.writeHead(404).end();
      return;
    }
    readFile(join(dir, path)).then(
      (data) => res.writeHead(200, { 'content-length': data.length }).end(data),
      () => res.writeHead(404).end(),
    );
  });
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => connections,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
