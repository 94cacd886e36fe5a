import { type GitPush, type GitServer, startGitServer } from '../../lib/local/git-server';
import { githubPushPayload } from '../../lib/local/pipeline';
import {
  commitFiles,
  deleteBranch,
  forcePush,
  git,
  head,
  makeWorkRepo,
  push,
  tempDir,
  type WorkRepo,
} from '../helpers/git';

const ZERO = '0'.repeat(40);

describe('local git server push events', () => {
  let server: GitServer;
  let work: WorkRepo;
  const pushes: GitPush[] = [];
  const home = tempDir('push-home');

  beforeAll(async () => {
    const root = tempDir('push-srv');
    await git(root, ['init', '-q', '--bare', '-b', 'main', 'config.git']);
    server = await startGitServer({ root, onPush: (p) => void pushes.push(p) });
    work = await makeWorkRepo(`${server.url}/config.git`);
  });
  afterAll(() => server.stop());

  /** The pushes reported since `from`, once the server has reported at least one more. */
  async function reported(from: number): Promise<GitPush[]> {
    const deadline = Date.now() + 5000;
    while (pushes.length === from && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    return pushes.slice(from);
  }

  it('reports a created branch with its commits, each with the paths it added, modified and removed', async () => {
    const first = await commitFiles(work, { 'apps/a/a.yaml': 'a: 1\n', 'apps/b/b.yaml': 'b: 1\n' }, 'one');
    const second = await commitFiles(
      work,
      { 'apps/a/a.yaml': 'a: 2\n', 'apps/b/b.yaml': null, 'apps/c/c.yaml': 'c: 1\n' },
      'two',
    );
    const from = pushes.length;
    await push(work);
    const [event, ...more] = await reported(from);
    expect(more).toEqual([]);
    expect(event).toMatchObject({
      repository: 'config.git',
      url: `${server.url}/config.git`,
      user: 'anonymous',
      updates: [{ ref: 'refs/heads/main', before: ZERO, after: second }],
    });
    const payload = await githubPushPayload(event!, event!.updates[0]!, home);
    expect(payload).toMatchObject({
      ref: 'refs/heads/main',
      before: ZERO,
      after: second,
      created: true,
      deleted: false,
      forced: false,
      repository: { clone_url: `${server.url}/config.git`, html_url: `${server.url}/config.git` },
      commits: [
        { id: first, message: 'one', added: ['apps/a/a.yaml', 'apps/b/b.yaml'], modified: [], removed: [] },
        {
          id: second,
          message: 'two',
          added: ['apps/c/c.yaml'],
          modified: ['apps/a/a.yaml'],
          removed: ['apps/b/b.yaml'],
          author: { name: 'Dev Eloper', email: 'dev@example.com' },
        },
      ],
      head_commit: { id: second },
    });
  });

  it('reports an update as before..after, a force push as forced, and a deleted branch with a zero after', async () => {
    const before = await head(work);
    const next = await commitFiles(work, { 'apps/a/a.yaml': 'a: 3\n' }, 'three');
    let from = pushes.length;
    await push(work);
    const [update] = await reported(from);
    expect(update?.updates).toEqual([{ ref: 'refs/heads/main', before, after: next }]);
    expect(await githubPushPayload(update!, update!.updates[0]!, home)).toMatchObject({
      forced: false,
      commits: [{ id: next, modified: ['apps/a/a.yaml'] }],
    });

    await git(work.dir, ['reset', '-q', '--hard', before]);
    const rewritten = await commitFiles(work, { 'apps/d/d.yaml': 'd: 1\n' }, 'rewritten');
    from = pushes.length;
    await forcePush(work);
    const [forced] = await reported(from);
    expect(forced?.updates).toEqual([{ ref: 'refs/heads/main', before: next, after: rewritten }]);
    expect(await githubPushPayload(forced!, forced!.updates[0]!, home)).toMatchObject({ forced: true });

    from = pushes.length;
    await push(work, 'feature');
    await deleteBranch(work, 'feature');
    const events = await reported(from);
    while (events.length < 2) events.push(...(await reported(from + events.length)));
    expect(events.map((e) => e.updates)).toEqual([
      [{ ref: 'refs/heads/feature', before: ZERO, after: rewritten }],
      [{ ref: 'refs/heads/feature', before: rewritten, after: ZERO }],
    ]);
    // A branch created at a commit another ref already has brings no new commits.
    expect(await githubPushPayload(events[0]!, events[0]!.updates[0]!, home)).toMatchObject({
      created: true,
      commits: [],
    });
    expect(await githubPushPayload(events[1]!, events[1]!.updates[0]!, home)).toMatchObject({
      deleted: true,
      commits: [],
      head_commit: null,
    });
  });

  it('reports nothing for a push the server refused or that moved no ref', async () => {
    const other = await makeWorkRepo(`${server.url}/config.git`);
    await commitFiles(other, { 'x.yaml': 'x: 1\n' }, 'unrelated history');
    const from = pushes.length;
    await expect(push(other)).rejects.toThrow(/rejected|non-fast-forward|fetch first/);
    await push(work); // everything up to date
    await new Promise((r) => setTimeout(r, 200));
    expect(pushes.slice(from)).toEqual([]);
  });
});
