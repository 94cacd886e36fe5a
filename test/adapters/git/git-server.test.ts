import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import {
  commitFiles,
  type GitFixture,
  git,
  head,
  makeWorkRepo,
  push,
  startGitFixture,
  tempDir,
} from '../../helpers/git';

function post(
  url: string,
  body: Buffer,
  headers: Record<string, string>,
): Promise<{ status: number; body: Buffer; type: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks),
          type: res.headers['content-type'],
        }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

function pkt(line: string): string {
  return `${(line.length + 4).toString(16).padStart(4, '0')}${line}`;
}

describe('local git server (git http-backend over node:http)', () => {
  let fixture: GitFixture;

  beforeAll(async () => {
    fixture = await startGitFixture();
  });

  afterAll(() => fixture.stop());

  it('serves clones and accepts pushes from the git CLI, and logs each request', async () => {
    const url = await fixture.bare('cli');
    const work = await makeWorkRepo(url);
    const commit = await commitFiles(work, { 'a.txt': 'hello\n' }, 'first');
    await push(work);
    const clone = tempDir('clone');
    await git(clone, ['clone', '-q', url, 'copy']);
    expect(await head({ dir: `${clone}/copy`, remoteConfig: [] })).toBe(commit);
    const paths = fixture.server.requests.map((r) => `${r.method} ${r.path.split('?')[0]} ${r.status}`);
    expect(paths).toEqual(
      expect.arrayContaining(['POST /cli.git/git-receive-pack 200', 'POST /cli.git/git-upload-pack 200']),
    );
  });

  it('inflates gzip request bodies (git sends large negotiations compressed)', async () => {
    const url = await fixture.bare('gzip');
    const work = await makeWorkRepo(url);
    const commit = await commitFiles(work, { 'a.txt': 'zipped\n' }, 'first');
    await push(work);
    const body = `${pkt(`want ${commit} ofs-delta\n`)}0000${pkt('done\n')}`;
    const headers = { 'Content-Type': 'application/x-git-upload-pack-request' };
    const zipped = await post(`${url}/git-upload-pack`, gzipSync(body), {
      ...headers,
      'Content-Encoding': 'gzip',
    });
    expect(zipped.status).toBe(200);
    expect(zipped.type).toBe('application/x-git-upload-pack-result');
    expect(zipped.body.includes(Buffer.from('PACK'))).toBe(true);
    // The same bytes without the header are not a request git understands.
    const mislabelled = await post(`${url}/git-upload-pack`, gzipSync(body), headers);
    expect(mislabelled.body.includes(Buffer.from('PACK'))).toBe(false);
  });

  it("passes http-backend's status on (an unknown repository is a 404) and refuses '..'", async () => {
    const missing = await post(`${fixture.server.url}/nope.git/git-upload-pack`, Buffer.alloc(0), {});
    expect(missing.status).toBe(404);
    const dotdot = await post(`${fixture.server.url}/a/../../etc/git-upload-pack`, Buffer.alloc(0), {});
    expect([400, 403, 404]).toContain(dotdot.status);
    const encoded = await post(
      `${fixture.server.url}/a%2F..%2F..%2Fetc/git-upload-pack`,
      Buffer.alloc(0),
      {},
    );
    expect(encoded.status).toBe(403);
  });

  it('requires the configured credentials, as basic or bearer', async () => {
    const secured = await startGitFixture({ username: 'ci', password: 'pa55word' });
    try {
      const url = await secured.bare('locked');
      const anonymous = tempDir('clone');
      await expect(git(anonymous, ['clone', '-q', url, 'copy'])).rejects.toThrow(
        /Authentication failed|401|could not read Username/,
      );
      const basic = Buffer.from('ci:pa55word').toString('base64');
      const authed = await makeWorkRepo(url, { username: 'ci', password: 'pa55word' });
      await commitFiles(authed, { 'a.txt': 'secret\n' }, 'first');
      await push(authed);
      await git(tempDir('clone'), [
        '-c',
        `http.extraHeader=Authorization: Basic ${basic}`,
        'clone',
        '-q',
        url,
        'copy',
      ]);
      expect(secured.server.requests.filter((r) => r.status === 401)).toHaveLength(1);
    } finally {
      await secured.stop();
    }
    const tokenServer = await startGitFixture({ token: 't0ken-value' });
    try {
      const url = await tokenServer.bare('t');
      const bearer = await post(`${url}/git-upload-pack`, Buffer.alloc(0), {
        Authorization: 'Bearer t0ken-value',
      });
      expect(bearer.status).not.toBe(401);
      const wrong = await post(`${url}/git-upload-pack`, Buffer.alloc(0), { Authorization: 'Bearer other' });
      expect(wrong.status).toBe(401);
    } finally {
      await tokenServer.stop();
    }
  });
});
