import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { GitSource, GitSourceError } from '../../../lib/adapters/git';
import {
  commitFiles,
  deleteBranch,
  forcePush,
  type GitFixture,
  git,
  head,
  makeWorkRepo,
  push,
  startGitFixture,
  tempDir,
  type WorkRepo,
} from '../../helpers/git';

const LIMITS = { maxFileBytes: 1024 * 1024, maxTotalBytes: 8 * 1024 * 1024 };

function appFiles(count: number, tag = ''): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < count; i++) {
    files[`apps/app-${i % 5}/cm-${i}.yaml`] =
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}${tag}\n`;
  }
  return files;
}

function packs(s: GitSource): string[] {
  return readdirSync(join(s.gitdir, 'objects', 'pack')).filter((f) => f.endsWith('.pack'));
}

/** The object count in a pack's header. */
function objectCount(pack: string): number {
  return readFileSync(pack).readUInt32BE(8);
}

let fixture: GitFixture;
let url: string;
let work: WorkRepo;
const sources: GitSource[] = [];

function source(cacheDir = tempDir('git-cache')): GitSource {
  const s = new GitSource({ url, cacheDir });
  sources.push(s);
  return s;
}

beforeAll(async () => {
  fixture = await startGitFixture();
  url = await fixture.bare('config');
  work = await makeWorkRepo(url);
  await commitFiles(work, { ...appFiles(50), 'plumbline.yaml': 'apps: []\n' }, 'first');
  await push(work);
});

afterAll(async () => {
  for (const s of sources) s.close();
  await fixture.stop();
});

describe('GitSource fetch', () => {
  it('resolves a branch to its commit with one request and nothing fetched', async () => {
    const s = source();
    expect(await s.resolve('main')).toBe(await head(work));
    expect(await s.resolve('refs/heads/main')).toBe(await head(work));
    expect(s.stats.requests).toBe(2);
  });

  it('fetches a cold cache shallowly and reads a file at the commit', async () => {
    const s = source();
    const result = await s.fetch('main');
    expect(result).toEqual({ commit: await head(work), fetched: true });
    // The advertisement, then one upload-pack request.
    expect(s.stats.requests).toBe(2);
    expect((await s.readFile(result.commit, 'plumbline.yaml', 1024))?.toString()).toBe('apps: []\n');
    expect(await s.readFile(result.commit, 'missing.yaml', 1024)).toBeUndefined();
  });

  it('answers a warm check with no new commit in one request, from a fresh instance on the same cache', async () => {
    const cacheDir = tempDir('git-cache');
    await source(cacheDir).fetch('main');
    const again = source(cacheDir);
    const before = fixture.server.requests.length;
    expect(await again.fetch('main')).toEqual({ commit: await head(work), fetched: false });
    expect(again.stats.requests).toBe(1);
    expect(fixture.server.requests.slice(before).map((r) => r.method)).toEqual(['GET']);
  });

  it('fetches only the new objects incrementally after a new commit', async () => {
    const s = source();
    const first = await s.fetch('main');
    const next = await commitFiles(work, { 'apps/app-1/cm-1.yaml': 'changed: true\n' }, 'second');
    await push(work);
    const packsBefore = packs(s);
    expect(await s.fetch('main')).toEqual({ commit: next, fetched: true });
    // A thin pack: the commit, the three trees on the way to the file, and the file.
    const added = packs(s).filter((p) => !packsBefore.includes(p));
    expect(added.map((p) => objectCount(join(s.gitdir, 'objects', 'pack', p)))).toEqual([5]);
    expect(await s.changedPaths(first.commit, next)).toEqual(['apps/app-1/cm-1.yaml']);
    expect((await s.readFile(next, 'apps/app-1/cm-1.yaml', 100))?.toString()).toBe('changed: true\n');
  });

  it('fetches the new tip after a force-push that rewrote history', async () => {
    const s = source();
    await commitFiles(work, { 'apps/app-2/extra.yaml': 'a: 1\n' }, 'to be rewritten');
    await push(work);
    const old = await s.fetch('main');
    await git(work.dir, ['reset', '-q', '--hard', 'HEAD~1']);
    const rewritten = await commitFiles(work, { 'apps/app-3/other.yaml': 'b: 2\n' }, 'rewritten');
    await forcePush(work);
    const result = await s.fetch('main');
    expect(result).toEqual({ commit: rewritten, fetched: true });
    expect(await s.readFile(rewritten, 'apps/app-2/extra.yaml', 100)).toBeUndefined();
    expect(await s.changedPaths(old.commit, rewritten)).toEqual([
      'apps/app-2/extra.yaml',
      'apps/app-3/other.yaml',
    ]);
  });

  it('refuses a deleted branch with a clear error, also when the cache knew it', async () => {
    await commitFiles(work, { 'apps/app-4/feature.yaml': 'f: 1\n' }, 'feature');
    await push(work, 'feature');
    const s = source();
    await s.fetch('feature');
    await deleteBranch(work, 'feature');
    await expect(s.fetch('feature')).rejects.toThrow(
      new GitSourceError(`branch feature does not exist in ${url}`, 'ref-not-found'),
    );
    await expect(source().resolve('nope')).rejects.toMatchObject({ code: 'ref-not-found' });
    await git(work.dir, ['reset', '-q', '--hard', 'HEAD~1']);
  });

  it('resolves annotated tags to the tagged commit and fetches them', async () => {
    const tagged = await head(work);
    await git(work.dir, ['tag', '-a', '-m', 'release', 'v1.0.0']);
    await git(work.dir, ['push', '-q', 'origin', 'v1.0.0']);
    const s = source();
    expect(await s.resolve('v1.0.0')).toBe(tagged);
    expect(await s.fetch('refs/tags/v1.0.0')).toEqual({ commit: tagged, fetched: true });
  });

  it('deepens once to reach an older commit, and gives up on changed paths when it cannot', async () => {
    const s = source();
    const older = await commitFiles(work, { 'apps/app-0/old.yaml': 'o: 1\n' }, 'older');
    const middle = await commitFiles(work, { 'apps/app-0/mid.yaml': 'm: 1\n' }, 'middle');
    const newest = await commitFiles(work, { 'apps/app-0/new.yaml': 'n: 1\n' }, 'newest');
    await push(work);
    await s.fetch('main');
    await s.ensureCommit('main', older);
    expect(await s.changedPaths(older, newest)).toEqual(['apps/app-0/mid.yaml', 'apps/app-0/new.yaml']);
    expect(await s.changedPaths(middle, newest, 'main')).toEqual(['apps/app-0/new.yaml']);
    expect(await s.changedPaths('0'.repeat(40), newest)).toBeUndefined();
    expect(await s.changedPaths('1'.repeat(40), newest, 'main')).toBeUndefined();
    await expect(s.readApp('2'.repeat(40), 'apps', tempDir('dest'), LIMITS)).rejects.toMatchObject({
      code: 'missing-commit',
    });
  });

  it('keeps the cache in one directory per repository URL, without credentials in its name', async () => {
    const cacheDir = tempDir('git-cache');
    const s = source(cacheDir);
    await s.fetch('main');
    expect(readdirSync(cacheDir)).toEqual([s.gitdir.slice(cacheDir.length + 1)]);
    expect(readdirSync(join(s.gitdir, 'objects', 'pack')).some((f) => f.endsWith('.idx'))).toBe(true);
  });

  it('refuses URLs with credentials or other schemes before any request', () => {
    expect(() => new GitSource({ url: 'https://user:secret@example.com/repo.git' })).toThrow(
      'https://example.com/repo.git: credentials belong in the credentials store, not in the URL',
    );
    expect(() => new GitSource({ url: 'file:///etc' })).toThrow(GitSourceError);
    expect(() => new GitSource({ url: 'not a url' })).toThrow('not a valid URL');
  });

  it('gives up on a server that accepts the connection and never answers', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((done) => silent.listen(0, '127.0.0.1', done));
    const { port } = silent.address() as AddressInfo;
    const s = new GitSource({
      url: `http://127.0.0.1:${port}/x.git`,
      cacheDir: tempDir('git-cache'),
      requestTimeoutMs: 200,
    });
    sources.push(s);
    try {
      await expect(s.fetch('main')).rejects.toMatchObject({
        code: 'network',
        message: `cannot list the refs of http://127.0.0.1:${port}/x.git: the server did not answer in time`,
      });
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });

  it('reports an unreachable server as a network error naming the URL', async () => {
    const s = new GitSource({ url: 'http://127.0.0.1:1/none.git', cacheDir: tempDir('git-cache') });
    sources.push(s);
    await expect(s.fetch('main')).rejects.toMatchObject({
      code: 'network',
      message: expect.stringContaining('127.0.0.1:1'),
    });
  });
});
