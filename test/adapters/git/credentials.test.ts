import { inspect } from 'node:util';
import {
  authorizationHeader,
  type GitCredential,
  GitSource,
  GitSourceError,
  staticCredentials,
} from '../../../lib/adapters/git';
import { credentialRedactor } from '../../../lib/adapters/git/credentials';
import { sourceError } from '../../../lib/adapters/git/remote';
import {
  commitFiles,
  type GitFixture,
  makeWorkRepo,
  push,
  startGitFixture,
  tempDir,
  type WorkRepo,
} from '../../helpers/git';

const TOKEN = 'ghs_s3cretT0kenValue0123456789';

let fixture: GitFixture;
let url: string;
let work: WorkRepo;
const sources: GitSource[] = [];

function source(credential?: GitCredential): GitSource {
  const s = new GitSource({
    url,
    cacheDir: tempDir('git-cache'),
    credentials: staticCredentials(credential),
  });
  sources.push(s);
  return s;
}

/** The error's message, name, and everything inspect shows of it (cause included). */
async function failure(promise: Promise<unknown>): Promise<{ error: GitSourceError; text: string }> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(GitSourceError);
  return { error: error as GitSourceError, text: `${String(error)}\n${inspect(error, { depth: 6 })}` };
}

beforeAll(async () => {
  fixture = await startGitFixture({ token: TOKEN });
  url = await fixture.bare('private');
  work = await makeWorkRepo(url, { token: TOKEN });
  await commitFiles(work, { 'apps/web/a.yaml': 'a: 1\n' }, 'first');
  await push(work);
});

afterAll(async () => {
  for (const s of sources) s.close();
  await fixture.stop();
});

describe('GitSource credentials', () => {
  it('fetches with a token sent as basic auth up front (no 401 round trip)', async () => {
    const s = source({ token: TOKEN });
    const before = fixture.server.requests.length;
    const first = await s.fetch('main');
    expect(first.fetched).toBe(true);
    expect(fixture.server.requests.slice(before).map((r) => r.status)).toEqual([200, 200]);
    // The incremental path (isomorphic-git's own fetch) sends the same header.
    await commitFiles(work, { 'apps/web/a.yaml': 'a: 2\n' }, 'second');
    await push(work);
    expect((await s.fetch('main')).fetched).toBe(true);
    expect(await s.readFile((await s.fetch('main')).commit, 'apps/web/a.yaml', 100)).toEqual(
      Buffer.from('a: 2\n'),
    );
  });

  it('accepts a user name and password', async () => {
    const s = source({ username: 'ci-bot', password: TOKEN });
    expect((await s.fetch('main')).fetched).toBe(true);
  });

  it('fails with a clear 401 error when no credentials are configured', async () => {
    const { error } = await failure(source().fetch('main'));
    expect(error.code).toBe('auth');
    expect(error.message).toBe(
      `cannot list the refs of ${url}: HTTP 401, no credentials are configured for it`,
    );
  });

  it('never puts a refused token in the error, its cause or its inspection', async () => {
    const wrong = 'ghs_wrongT0kenValue9876543210';
    const { error, text } = await failure(source({ token: wrong }).fetch('main'));
    expect(error.message).toBe(`cannot list the refs of ${url}: HTTP 401, the credentials were refused`);
    for (const secret of [wrong, Buffer.from(`x-access-token:${wrong}`).toString('base64')]) {
      expect(text).not.toContain(secret);
    }
  });

  it('masks a token that a lower layer put in an error message, and drops such a cause', () => {
    const redactor = credentialRedactor({ token: TOKEN });
    const header = authorizationHeader({ token: TOKEN });
    const low = new Error(`socket hang up; sent ${header} and ${TOKEN}`);
    const error = sourceError(low, url, 'cannot fetch', redactor, true);
    expect(error.message).toBe(`cannot fetch ${url}: socket hang up; sent Basic *** and ***`);
    expect(error.cause).toBeUndefined();
    expect(sourceError(new Error('ECONNRESET'), url, 'cannot fetch', redactor, true).cause).toBeInstanceOf(
      Error,
    );
  });

  it('reports a failing credentials store as an auth error', async () => {
    const s = new GitSource({
      url,
      cacheDir: tempDir('git-cache'),
      credentials: { forUrl: () => Promise.reject(new Error('AccessDenied')) },
    });
    sources.push(s);
    const { error } = await failure(s.resolve('main'));
    expect(error).toMatchObject({ code: 'auth', message: `cannot get the credentials for ${url}` });
  });
});
