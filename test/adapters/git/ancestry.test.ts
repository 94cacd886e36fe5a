import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GitSource } from '../../../lib/adapters/git';
import {
  commitFiles,
  forcePush,
  type GitFixture,
  git,
  makeWorkRepo,
  push,
  startGitFixture,
  tempDir,
  type WorkRepo,
} from '../../helpers/git';

const REF = 'refs/heads/main';
let fixture: GitFixture;
let url: string;
let work: WorkRepo;
const sources: GitSource[] = [];

function source(): GitSource {
  const s = new GitSource({ url, cacheDir: tempDir('ancestry-cache'), deepenBy: 5 });
  sources.push(s);
  return s;
}

async function commits(count: number, tag: string): Promise<string[]> {
  const made: string[] = [];
  for (let i = 0; i < count; i++)
    made.push(await commitFiles(work, { 'n.txt': `${tag}-${i}\n` }, `${tag} ${i}`));
  await push(work);
  return made;
}

beforeAll(async () => {
  fixture = await startGitFixture();
  url = await fixture.bare('history');
  work = await makeWorkRepo(url);
});
afterAll(async () => {
  for (const s of sources) s.close();
  await fixture.stop();
});

describe('GitSource.ancestry', () => {
  it('walks past the shallow boundary of an incremental fetch by deepening once', async () => {
    const [a] = await commits(1, 'a');
    const s = source();
    await s.ensureCommit(REF, a!);
    const [, , c] = await commits(3, 'b');
    // A fetch from the cached tip: the new head arrives, its history only down to the boundary.
    await s.ensureCommit(REF, c!);
    expect(readFileSync(join(s.gitdir, 'shallow'), 'latin1')).toContain(a);
    const requests = s.stats.requests;
    expect(await s.ancestry(a!, c!, REF)).toEqual({ kind: 'descendant' });
    // The first walk stopped at the boundary (the new head only): the answer took a deepening fetch.
    expect(s.stats.requests).toBeGreaterThan(requests);
    const after = s.stats.requests;
    expect(await s.ancestry(a!, c!, REF)).toEqual({ kind: 'descendant' });
    expect(s.stats.requests).toBe(after);
    expect(await s.ancestry(c!, c!, REF)).toEqual({ kind: 'descendant' });
  });

  it('says unrelated when the whole history between is known', async () => {
    const [older, newer] = await commits(2, 'c');
    expect(await source().ancestry(newer!, older!, REF)).toEqual({ kind: 'unrelated' });
  });

  it('says unknown, and why, when the history fetched ends before the answer or lacks the commit', async () => {
    const made = await commits(15, 'd');
    const s = source();
    // Walking down from d12 never meets d14, and the history ends before the root even after deepening.
    expect(await s.ancestry(made[14]!, made[12]!, REF)).toEqual({
      kind: 'unknown',
      why: expect.stringContaining('ends before reaching'),
    });
    const gone = 'e'.repeat(40);
    expect(await s.ancestry(gone, made[14]!, REF)).toEqual({
      kind: 'unknown',
      why: expect.stringContaining(`commit ${gone} is not among the last 5 commits`),
    });
  });

  it('finds a commit of a rewritten branch unrelated once the history is fully fetched', async () => {
    const s = source();
    const fresh = tempDir('ancestry-work');
    await git(fresh, ['init', '-q', '-b', 'main']);
    await git(fresh, ['remote', 'add', 'origin', url]);
    const rewritten = { dir: fresh, remoteConfig: [] } as WorkRepo;
    // A force-push replaces the branch with a two-commit history of its own.
    const x = await commitFiles(rewritten, { 'x.txt': 'x\n' }, 'x');
    const y = await commitFiles(rewritten, { 'y.txt': 'y\n' }, 'y');
    await forcePush(rewritten);
    expect(await s.ancestry(x, y, REF)).toEqual({ kind: 'descendant' });
    expect(await s.ancestry(y, x, REF)).toEqual({ kind: 'unrelated' });
  });
});
