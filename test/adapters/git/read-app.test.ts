import { chmodSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { GitSource, GitTreeError } from '../../../lib/adapters/git';
import { RepoTree } from '../../../lib/adapters/renderers/repo-tree';
import {
  commitFiles,
  commitRawTree,
  type FileSpec,
  type GitFixture,
  git,
  makeWorkRepo,
  push,
  type RawTree,
  startGitFixture,
  tempDir,
  type WorkRepo,
} from '../../helpers/git';

const LIMITS = { maxFileBytes: 64 * 1024, maxTotalBytes: 256 * 1024 };

/** Every entry under a directory, relative, '/'-separated, sorted; directories end with '/'. */
function listTree(root: string, dir = root): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => {
      const full = join(dir, e.name);
      return e.isDirectory() ? [`${relative(root, full)}/`, ...listTree(root, full)] : [relative(root, full)];
    })
    .sort();
}

let fixture: GitFixture;
let url: string;
let work: WorkRepo;
let source: GitSource;
let base: string;

/** Commits the files on top of the base commit, pushes, fetches: the commit to read. */
async function commitAndFetch(files: Record<string, FileSpec>): Promise<string> {
  await git(work.dir, ['reset', '-q', '--hard', base]);
  await commitFiles(work, files, 'case');
  await git(work.dir, ['push', '-q', '--force', 'origin', 'HEAD:refs/heads/main']);
  return (await source.fetch('main')).commit;
}

async function rawAndFetch(tree: RawTree): Promise<string> {
  await git(work.dir, ['reset', '-q', '--hard', base]);
  await commitRawTree(work, tree);
  await git(work.dir, ['push', '-q', '--force', 'origin', 'main:refs/heads/main']);
  return (await source.fetch('main')).commit;
}

beforeAll(async () => {
  fixture = await startGitFixture();
  url = await fixture.bare('config');
  work = await makeWorkRepo(url);
  base = await commitFiles(
    work,
    {
      'plumbline.yaml': 'apps: []\n',
      'apps/web/deploy.yaml': 'kind: Deployment\n',
      'apps/web/sub/svc.yaml': 'kind: Service\n',
      'apps/web/.helmignore': 'tmp\n',
      'apps/web/run.sh': '#!/bin/sh\n',
      'apps/api/deploy.yaml': 'kind: Deployment\n',
      'bases/common/kustomization.yaml': 'resources: []\n',
      'secrets/key.pem': 'not for web\n',
    },
    'base',
  );
  chmodSync(join(work.dir, 'apps/web/run.sh'), 0o755);
  base = await commitFiles(work, {}, 'executable');
  await push(work);
  source = new GitSource({ url, cacheDir: tempDir('git-cache') });
  // The cache keeps the base commit whatever main points to later.
  expect((await source.fetch('main')).commit).toBe(base);
});

afterAll(async () => {
  source.close();
  await fixture.stop();
});

describe('GitSource.readApp', () => {
  it("writes only the app's files, at their repository paths, and a renderer can read them", async () => {
    const commit = base;
    const dest = tempDir('dest');
    const result = await source.readApp(commit, 'apps/web', dest, LIMITS);
    expect(listTree(dest)).toEqual([
      'apps/',
      'apps/web/',
      'apps/web/.helmignore',
      'apps/web/deploy.yaml',
      'apps/web/run.sh',
      'apps/web/sub/',
      'apps/web/sub/svc.yaml',
    ]);
    expect(result.files.sort()).toEqual([
      'apps/web/.helmignore',
      'apps/web/deploy.yaml',
      'apps/web/run.sh',
      'apps/web/sub/svc.yaml',
    ]);
    expect(result.bytes).toBe(17 + 14 + 4 + 10);
    expect(lstatSync(join(dest, 'apps/web/run.sh')).mode & 0o111).not.toBe(0);
    const tree = await RepoTree.open(dest);
    expect((await tree.appDir('apps/web')).path).toBe('apps/web');
  });

  it('adds the extra paths an app references (kustomize bases, single files)', async () => {
    const commit = base;
    const dest = tempDir('dest');
    await source.readApp(commit, './apps/api/', dest, LIMITS, ['bases/common', 'plumbline.yaml', 'apps/api']);
    expect(listTree(dest).filter((p) => !p.endsWith('/'))).toEqual([
      'apps/api/deploy.yaml',
      'bases/common/kustomization.yaml',
      'plumbline.yaml',
    ]);
  });

  it('writes symbolic links inside the repository as copies of their targets', async () => {
    const commit = await commitAndFetch({
      'apps/web/shared.yaml': { symlink: '../../bases/common/kustomization.yaml' },
      'apps/web/common': { symlink: '../../bases/common' },
      'apps/web/self': { symlink: './deploy.yaml' },
      // Resolved from the link's real directory (bases/common), not from where it is written out.
      'bases/common/inner.yaml': { symlink: '../../apps/api/deploy.yaml' },
    });
    const dest = tempDir('dest');
    await source.readApp(commit, 'apps/web', dest, LIMITS);
    expect(readFileSync(join(dest, 'apps/web/shared.yaml'), 'utf8')).toBe('resources: []\n');
    expect(readFileSync(join(dest, 'apps/web/common/kustomization.yaml'), 'utf8')).toBe('resources: []\n');
    expect(readFileSync(join(dest, 'apps/web/self'), 'utf8')).toBe('kind: Deployment\n');
    expect(readFileSync(join(dest, 'apps/web/common/inner.yaml'), 'utf8')).toBe('kind: Deployment\n');
    expect(lstatSync(join(dest, 'apps/web/shared.yaml')).isSymbolicLink()).toBe(false);
    expect(listTree(dest)).not.toContain('bases/');
  });

  it.each<[string, Record<string, FileSpec>, string]>([
    ['a submodule', { 'apps/web/vendor': { submodule: 'a'.repeat(40) } }, 'apps/web/vendor is a submodule'],
    [
      'a symbolic link out of the repository',
      { 'apps/web/x': { symlink: '../../../etc/passwd' } },
      'apps/web/x leads out of the repository',
    ],
    [
      'an absolute symbolic link',
      { 'apps/web/x': { symlink: '/etc/passwd' } },
      'apps/web/x is a symbolic link to an absolute path',
    ],
    [
      'a symbolic link loop',
      { 'apps/web/loop': { symlink: 'loop' } },
      'apps/web/loop is a symbolic link loop',
    ],
    [
      'a link back to an enclosing directory',
      { 'apps/web/up': { symlink: '..' } },
      'apps/web/up is a symbolic link loop',
    ],
    [
      'a link to a missing file',
      { 'apps/web/gone': { symlink: 'nothing.yaml' } },
      'apps/web/gone does not exist',
    ],
    [
      'a file over the size limit',
      { 'apps/web/big.yaml': 'x'.repeat(64 * 1024 + 1) },
      'apps/web/big.yaml is 65537 bytes, over the 65536-byte file limit',
    ],
    [
      'files over the total limit',
      Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`apps/web/f${i}.yaml`, 'y'.repeat(60 * 1024)])),
      "the app's files are over the 262144-byte total limit",
    ],
  ])('refuses %s, naming the path', async (_case, files, message) => {
    const commit = await commitAndFetch(files);
    const dest = tempDir('dest');
    await expect(source.readApp(commit, 'apps/web', dest, LIMITS)).rejects.toThrow(message);
    await expect(source.readApp(commit, 'apps/web', tempDir('dest'), LIMITS)).rejects.toBeInstanceOf(
      GitTreeError,
    );
  });

  it('refuses more files than the file limit', async () => {
    const commit = base;
    await expect(
      source.readApp(commit, 'apps/web', tempDir('dest'), { ...LIMITS, maxFiles: 2 }),
    ).rejects.toMatchObject({ code: 'limit', message: expect.stringContaining('more than 2 files') });
  });

  it.each<[string, RawTree]>([
    ["'..'", { apps: { web: { '..': 'escape\n', 'ok.yaml': 'a: 1\n' } } }],
    ["'.git'", { apps: { web: { '.git': { config: '[core]\n' } } } }],
    ["'.GIT.'", { apps: { web: { '.GIT.': 'x\n' } } }],
  ])('refuses a tree entry named %s written by a hostile client', async (_name, tree) => {
    const commit = await rawAndFetch(tree);
    const dest = tempDir('dest');
    await expect(source.readApp(commit, 'apps/web', dest, LIMITS)).rejects.toMatchObject({ code: 'path' });
    expect(listTree(dest)).toEqual([]);
  });

  it.each(['../apps', '/etc', 'apps/../secrets', 'apps/.git', 'C:/x'])(
    'refuses the app path %s',
    async (path) => {
      const commit = base;
      await expect(source.readApp(commit, path, tempDir('dest'), LIMITS)).rejects.toMatchObject({
        code: 'path',
      });
    },
  );

  it('never writes over or through anything already in the destination', async () => {
    const commit = base;
    const dest = tempDir('dest');
    await source.readApp(commit, 'apps/web', dest, LIMITS);
    await expect(source.readApp(commit, 'apps/web', dest, LIMITS)).rejects.toMatchObject({
      code: 'io',
      message: expect.stringMatching(/^cannot write apps\/web\/\S+ into the destination: EEXIST$/),
    });
  });

  it('refuses an app path that is missing or a file', async () => {
    const commit = base;
    await expect(source.readApp(commit, 'apps/nope', tempDir('dest'), LIMITS)).rejects.toThrow(
      'apps/nope does not exist',
    );
    await expect(source.readApp(commit, 'plumbline.yaml/x', tempDir('dest'), LIMITS)).rejects.toMatchObject({
      code: 'missing',
    });
  });
});
