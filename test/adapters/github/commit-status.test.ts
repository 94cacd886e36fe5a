import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import {
  CommitStatusError,
  type CommitStatusInput,
  GitHubCommitStatus,
  type GitHubCommitStatusOptions,
  githubRepoFromUrl,
} from '../../../lib/adapters/github';

interface Recorded {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly at: number;
}

type Responder = (res: ServerResponse) => void;

/** A GitHub stand-in on 127.0.0.1: records each request and answers with the next responder. */
interface FakeGitHub {
  readonly url: string;
  readonly requests: Recorded[];
  answer(...responders: Responder[]): void;
}

const TOKEN = 'ghp_s3cretT0kenValue0123456789abcdefABCD';
const SHA = 'A1B2C3D4E5F60718293A4B5C6D7E8F9012345678';
const sha = SHA.toLowerCase();

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}): Responder =>
  (res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
const created = json(201, { id: 1, state: 'success' });
/** Never answers: the client must give up on its own. */
const hang: Responder = () => {};
/** Drops the connection without an answer. */
const drop: Responder = (res) => res.socket?.destroy();

let server: Server;
let github: FakeGitHub;

beforeAll(async () => {
  const requests: Recorded[] = [];
  let responders: Responder[] = [];
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      });
      (responders.shift() ?? json(500, { message: 'no answer scripted' }))(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  github = {
    url: `http://127.0.0.1:${port}`,
    requests,
    answer: (...next) => {
      responders = next;
    },
  };
});
beforeEach(() => {
  github.requests.length = 0;
  github.answer();
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function reporter(options: Partial<GitHubCommitStatusOptions> = {}): GitHubCommitStatus {
  return new GitHubCommitStatus({
    token: async () => TOKEN,
    apiUrl: github.url,
    retryDelayMs: 50,
    ...options,
  });
}

const status = (overrides: Partial<CommitStatusInput> = {}): CommitStatusInput => ({
  repoUrl: 'https://github.com/octo-org/hello-world.git',
  commit: SHA,
  state: 'success',
  context: 'plumbline/prod/web',
  description: 'synced: 3 configured, 12 unchanged',
  targetUrl: 'https://console.aws.amazon.com/dynamodbv2/home#item-explorer?table=audit',
  ...overrides,
});

async function failure(promise: Promise<unknown>): Promise<CommitStatusError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof CommitStatusError))
    throw new Error(`expected a CommitStatusError, got ${String(err)}`);
  return err;
}

function expectNoToken(err: Error): void {
  expect(err.message).not.toContain(TOKEN);
  expect(String(err)).not.toContain(TOKEN);
  expect(inspect(err, { depth: 8 })).not.toContain(TOKEN);
}

describe('GitHubCommitStatus.current', () => {
  const where = {
    repoUrl: 'https://github.com/octo-org/hello-world.git',
    commit: SHA,
    context: 'plumbline/prod/web',
  };

  it("reads the context's state from the combined status, with a GET and no body", async () => {
    github.answer(
      json(200, {
        state: 'failure',
        statuses: [
          { context: 'ci/build', state: 'failure' },
          { context: 'plumbline/prod/web', state: 'success' },
        ],
      }),
    );
    await expect(reporter().current(where)).resolves.toBe('success');
    const [req] = github.requests;
    expect(req!.method).toBe('GET');
    expect(req!.path).toBe(`/repos/octo-org/hello-world/commits/${sha}/status?per_page=100`);
    expect(req!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(req!.headers['content-type']).toBeUndefined();
    expect(req!.body).toBe('');
  });

  it('is undefined when the commit has no status of that context', async () => {
    github.answer(json(200, { state: 'pending', statuses: [{ context: 'ci/build', state: 'success' }] }));
    await expect(reporter().current(where)).resolves.toBeUndefined();
  });

  it("retries a 502 once and fails on a 404 with GitHub's message, without the token", async () => {
    github.answer(json(502, { message: 'Bad Gateway' }), json(200, { statuses: [] }));
    await expect(reporter().current(where)).resolves.toBeUndefined();
    expect(github.requests).toHaveLength(2);
    github.answer(json(404, { message: 'Not Found' }));
    const err = await failure(reporter().current(where));
    expect(err.message).toBe(
      `commit status for octo-org/hello-world@${sha.slice(0, 12)}: GitHub answered 404 Not Found`,
    );
    expectNoToken(err);
  });

  it('refuses an answer that is not JSON', async () => {
    github.answer((res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>proxy</html>');
    });
    const err = await failure(reporter().current(where));
    expect(err.message).toContain('not JSON');
  });
});

describe('GitHubCommitStatus', () => {
  it('posts the status to /repos/{owner}/{repo}/statuses/{sha} with the token and GitHub API headers', async () => {
    github.answer(created);
    await reporter().report(status());
    expect(github.requests).toHaveLength(1);
    const [req] = github.requests;
    expect(req!.method).toBe('POST');
    expect(req!.path).toBe(`/repos/octo-org/hello-world/statuses/${sha}`);
    expect(req!.headers).toMatchObject({
      authorization: `Bearer ${TOKEN}`,
      accept: 'application/vnd.github+json',
      'x-github-api-version': '2022-11-28',
      'user-agent': 'plumbline',
      'content-type': 'application/json',
    });
    expect(JSON.parse(req!.body)).toEqual({
      state: 'success',
      context: 'plumbline/prod/web',
      description: 'synced: 3 configured, 12 unchanged',
      target_url: 'https://console.aws.amazon.com/dynamodbv2/home#item-explorer?table=audit',
    });
  });

  it('keeps the path of an apiUrl and leaves out a missing target URL', async () => {
    github.answer(created);
    await reporter({ apiUrl: `${github.url}/api/v3/` }).report(
      status({ repoUrl: 'https://ghe.example.com/team/app', targetUrl: undefined, state: 'pending' }),
    );
    expect(github.requests[0]!.path).toBe(`/api/v3/repos/team/app/statuses/${sha}`);
    expect(JSON.parse(github.requests[0]!.body)).toEqual({
      state: 'pending',
      context: 'plumbline/prod/web',
      description: 'synced: 3 configured, 12 unchanged',
    });
  });

  it('cuts the description to 140 characters as GitHub counts them, on one line', async () => {
    github.answer(created);
    const long = `failed:\n${'🚀'.repeat(200)}`;
    await reporter().report(status({ state: 'failure', description: long }));
    const { description } = JSON.parse(github.requests[0]!.body) as { description: string };
    expect([...description]).toHaveLength(140);
    expect(description.startsWith('failed: 🚀')).toBe(true);
    expect(description.endsWith('🚀…')).toBe(true);
  });

  it('derives api.github.com and GHE /api/v3 from the repository URL when no apiUrl is given', async () => {
    const urls: string[] = [];
    const fakeFetch = (async (url: string | URL | Request) => {
      urls.push(String(url));
      return new Response(null, { status: 201 });
    }) as typeof fetch;
    const plain = new GitHubCommitStatus({ token: async () => TOKEN, fetch: fakeFetch });
    await plain.report(status({ repoUrl: 'https://github.com/o/r' }));
    await plain.report(status({ repoUrl: 'https://git.corp.example:8443/o/r.git' }));
    expect(urls).toEqual([
      `https://api.github.com/repos/o/r/statuses/${sha}`,
      `https://git.corp.example:8443/api/v3/repos/o/r/statuses/${sha}`,
    ]);
  });

  it('retries once after a 5xx and succeeds', async () => {
    github.answer(json(502, { message: 'Server Error' }), created);
    await reporter().report(status());
    expect(github.requests).toHaveLength(2);
    expect(github.requests[1]!.body).toBe(github.requests[0]!.body);
  });

  it('retries once after a dropped connection and succeeds', async () => {
    github.answer(drop, created);
    await reporter().report(status());
    expect(github.requests).toHaveLength(2);
  });

  it('gives up after the second 5xx with the status code and a message, not the HTML body', async () => {
    const page: Responder = (res) => {
      res.writeHead(503, { 'content-type': 'text/html' });
      res.end('<html><body>Unicorn! secret-internal-detail</body></html>');
    };
    github.answer(page, page, created);
    const err = await failure(reporter().report(status()));
    expect(github.requests).toHaveLength(2);
    expect(err).toMatchObject({ code: 'http', status: 503, name: 'CommitStatusError' });
    expect(err.message).toBe(
      `commit status for octo-org/hello-world@${sha.slice(0, 12)}: GitHub answered 503 Service Unavailable`,
    );
  });

  it('waits as long as a 429 Retry-After asks, within the cap', async () => {
    github.answer(json(429, { message: 'API rate limit exceeded' }, { 'retry-after': '1' }), created);
    await reporter({ retryDelayMs: 10 }).report(status());
    expect(github.requests).toHaveLength(2);
    expect(github.requests[1]!.at - github.requests[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it('fails at once when Retry-After asks for longer than the cap', async () => {
    github.answer(json(429, { message: 'API rate limit exceeded' }, { 'retry-after': '3600' }), created);
    const started = Date.now();
    const err = await failure(reporter({ maxRetryAfterMs: 2000 }).report(status()));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(github.requests).toHaveLength(1);
    expect(err.message).toContain('GitHub answered 429 API rate limit exceeded');
  });

  it('retries a 403 only when it is a rate limit with Retry-After', async () => {
    github.answer(
      json(403, { message: 'You have exceeded a secondary rate limit' }, { 'retry-after': '0' }),
      created,
    );
    await reporter().report(status());
    expect(github.requests).toHaveLength(2);

    github.requests.length = 0;
    github.answer(json(403, { message: 'Resource not accessible by integration' }), created);
    const err = await failure(reporter().report(status()));
    expect(github.requests).toHaveLength(1);
    expect(err).toMatchObject({ status: 403 });
    expect(err.message).toContain('403 Resource not accessible by integration');
  });

  it('reports a 401 in one line with GitHub message, once, and never the token', async () => {
    github.answer(
      json(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' }),
      created,
    );
    const err = await failure(reporter().report(status()));
    expect(github.requests).toHaveLength(1);
    expect(err).toMatchObject({ code: 'http', status: 401 });
    expect(err.message).toBe(
      `commit status for octo-org/hello-world@${sha.slice(0, 12)}: GitHub answered 401 Bad credentials`,
    );
    expectNoToken(err);
  });

  it('masks the token even when GitHub echoes it, and names the first validation error', async () => {
    github.answer(
      json(422, {
        message: `Validation Failed for ${TOKEN}`,
        errors: [{ resource: 'Status', field: 'context', message: `context ${TOKEN}\nis invalid` }],
      }),
    );
    const err = await failure(reporter().report(status()));
    expect(err.status).toBe(422);
    expect(err.message).toContain('GitHub answered 422 Validation Failed for ***: context ***\\nis invalid');
    expect(err.message).not.toContain('\n');
    expectNoToken(err);
  });

  it('gives up after timeoutMs when GitHub does not answer, the retry included', async () => {
    github.answer(hang, hang);
    const started = Date.now();
    const err = await failure(reporter({ timeoutMs: 300 }).report(status()));
    const elapsed = Date.now() - started;
    expect(err).toMatchObject({ code: 'timeout' });
    expect(err.message).toContain('no answer from GitHub within 300 ms');
    expect(elapsed).toBeGreaterThanOrEqual(280);
    expect(elapsed).toBeLessThan(2000);
    expectNoToken(err);
  });

  it('reports a refused connection as a network error after one retry', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const calls: string[] = [];
    const counting = ((url: string | URL | Request, init?: RequestInit) => {
      calls.push(String(url));
      return fetch(url, init);
    }) as typeof fetch;
    const err = await failure(
      reporter({ apiUrl: `http://127.0.0.1:${port}`, fetch: counting }).report(status()),
    );
    expect(calls).toHaveLength(2);
    expect(err.code).toBe('network');
    expect(err.message).toMatch(/no answer from GitHub: fetch failed \(ECONNREFUSED\)$/);
    expectNoToken(err);
  });

  it.each<[string, Partial<CommitStatusInput>, RegExp]>([
    ['a short commit id', { commit: 'a1b2c3d' }, /full 40-hex commit id/],
    ['a branch name', { commit: 'main' }, /full 40-hex commit id/],
    ['an unknown state', { state: 'done' as CommitStatusInput['state'] }, /state must be one of/],
    ['an empty context', { context: '' }, /context must be 1 to 255/],
    ['a context over 255 characters', { context: 'x'.repeat(256) }, /context must be 1 to 255/],
    ['a context with a newline', { context: 'plumbline/prod\nweb' }, /control characters/],
    ['a target URL that is not http(s)', { targetUrl: 'javascript:alert(1)' }, /target URL/],
    ['an SSH repository URL', { repoUrl: 'git@github.com:o/r.git' }, /SSH/],
  ])('refuses %s before sending anything', async (_, overrides, message) => {
    const err = await failure(reporter().report(status(overrides)));
    expect(err.code).toBe('input');
    expect(err.message).toMatch(message);
    expect(github.requests).toHaveLength(0);
  });

  it('accepts a context of exactly 255 characters', async () => {
    github.answer(created);
    await reporter().report(status({ context: 'c'.repeat(255) }));
    expect(JSON.parse(github.requests[0]!.body)).toMatchObject({ context: 'c'.repeat(255) });
  });

  it('refuses a token a header cannot carry without printing it, and a token that cannot be read', async () => {
    const bad = `${TOKEN}\r\nX-Injected: 1`;
    const err = await failure(reporter({ token: async () => bad }).report(status()));
    expect(err.code).toBe('token');
    expect(err.message).not.toContain(TOKEN);
    const unreadable = await failure(
      reporter({
        token: async () => {
          throw new Error('AccessDeniedException: not allowed to read plumbline/git');
        },
      }).report(status()),
    );
    expect(unreadable.code).toBe('token');
    expect(unreadable.message).toContain('the GitHub token could not be read: AccessDeniedException');
    expect(github.requests).toHaveLength(0);
  });

  it('refuses an apiUrl that is not an http(s) URL', () => {
    expect(() => new GitHubCommitStatus({ token: async () => TOKEN, apiUrl: 'ftp://x' })).toThrow(
      CommitStatusError,
    );
  });
});

describe('githubRepoFromUrl', () => {
  it.each([
    ['https://github.com/octo/repo', 'https://api.github.com', 'octo', 'repo'],
    ['https://github.com/octo/repo.git', 'https://api.github.com', 'octo', 'repo'],
    ['https://github.com/octo/repo/', 'https://api.github.com', 'octo', 'repo'],
    ['https://github.com/octo/repo.git/', 'https://api.github.com', 'octo', 'repo'],
    ['https://GitHub.com/Octo/My.Repo_1', 'https://api.github.com', 'Octo', 'My.Repo_1'],
    ['https://www.github.com/octo/repo', 'https://api.github.com', 'octo', 'repo'],
    ['https://ghe.corp.example/team/app.git', 'https://ghe.corp.example/api/v3', 'team', 'app'],
    ['https://ghe.corp.example:8443/team/app', 'https://ghe.corp.example:8443/api/v3', 'team', 'app'],
  ])('%s → %s /repos/%s/%s', (url, apiUrl, owner, repo) => {
    expect(githubRepoFromUrl(url)).toEqual({ apiUrl, owner, repo });
  });

  it('uses the apiUrl given instead of deriving one, without its trailing slash', () => {
    expect(githubRepoFromUrl('https://ghe.corp.example/team/app.git', 'https://api.ghe.example/v3/')).toEqual(
      {
        apiUrl: 'https://api.ghe.example/v3',
        owner: 'team',
        repo: 'app',
      },
    );
  });

  it.each([
    ['git@github.com:octo/repo.git', /SSH repository URL/],
    ['ssh://git@github.com/octo/repo.git', /scheme ssh not supported/],
    ['http://github.com/octo/repo', /scheme http not supported/],
    ['github.com/octo/repo', /not a URL/],
    ['https://github.com/octo', /not OWNER\/REPO/],
    ['https://github.com/', /not OWNER\/REPO/],
    ['https://gitlab.example/group/sub/repo', /not OWNER\/REPO/],
    ['https://github.com/octo/repo/tree/main', /not OWNER\/REPO/],
    ['https://github.com/octo/repo?ref=main', /query or fragment/],
    ['https://github.com/-octo/repo', /bad owner name/],
    ['https://github.com/octo/re%2Fpo', /bad repository name/],
    ['https://github.com/octo/..', /not OWNER\/REPO|bad repository name/],
    ['https://github.com/octo/.git', /bad repository name/],
  ])('refuses %s', (url, message) => {
    const err = (() => {
      try {
        githubRepoFromUrl(url);
      } catch (e: unknown) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(CommitStatusError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain('\n');
  });

  it('refuses credentials in the URL without repeating them', () => {
    expect(() => githubRepoFromUrl(`https://x-access-token:${TOKEN}@github.com/octo/repo.git`)).toThrow(
      /credentials not allowed in repository URL https:\/\/github.com\/octo\/repo.git;/,
    );
    try {
      githubRepoFromUrl(`https://${TOKEN}@github.com/octo/repo.git`);
    } catch (e: unknown) {
      expectNoToken(e as Error);
    }
  });
});
