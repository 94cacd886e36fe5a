import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GitSourceError } from '../../../lib/adapters/git';
import { indexPack } from '../../../lib/adapters/git/pack-index';
import { commitFiles, git, makeWorkRepo, run, tempDir, type WorkRepo } from '../../helpers/git';

/** The object ids an index lists, in its order. */
function idsOf(index: Buffer): string[] {
  const count = index.readUInt32BE(8 + 255 * 4);
  const start = 8 + 256 * 4;
  return Array.from({ length: count }, (_, i) => index.toString('hex', start + i * 20, start + (i + 1) * 20));
}

/** `git pack-objects` output for the objects between revisions (`--revs`: thin packs need them). */
async function pack(work: WorkRepo, revs: string, flags: string[]): Promise<Buffer> {
  const input = `${revs.split(' ').join('\n')}\n`;
  const out = await run('git', ['pack-objects', '--stdout', '--revs', ...flags], { cwd: work.dir, input });
  return Buffer.from(out, 'latin1');
}

/** What `git index-pack` writes for the same pack. */
async function gitIndex(packBytes: Buffer): Promise<Buffer> {
  const dir = tempDir('idx');
  writeFileSync(join(dir, 'p.pack'), packBytes);
  await run('git', ['index-pack', '-o', join(dir, 'p.idx'), join(dir, 'p.pack')]);
  return readFileSync(join(dir, 'p.idx'));
}

let work: WorkRepo;

beforeAll(async () => {
  work = await makeWorkRepo('http://127.0.0.1:1/unused.git');
  const base = 'apiVersion: v1\nkind: ConfigMap\ndata:\n'.concat('  key: value\n'.repeat(200));
  const files: Record<string, string> = {};
  for (let i = 0; i < 40; i++) files[`apps/a${i % 4}/cm-${i}.yaml`] = `${base}  index: "${i}"\n`;
  files['empty.yaml'] = '';
  await commitFiles(work, files, 'first');
  await commitFiles(
    work,
    { 'apps/a1/cm-1.yaml': `${base}  index: "changed"\n`, 'apps/a2/new.yaml': base },
    'second',
  );
});

describe('indexPack', () => {
  it.each([
    ['offset deltas', ['--delta-base-offset']],
    ['ref deltas', []],
  ])('writes the same index as git index-pack for a pack with %s', async (_kind, flags) => {
    const bytes = await pack(work, 'HEAD', flags);
    const ours = await indexPack(bytes, async () => undefined);
    expect(ours.equals(await gitIndex(bytes))).toBe(true);
    expect(idsOf(ours).length).toBeGreaterThan(40);
  });

  it('resolves the bases a thin pack leaves out from the cache', async () => {
    const bytes = await pack(work, 'HEAD ^HEAD~1', ['--thin']);
    const asked: string[] = [];
    const index = await indexPack(bytes, async (oid) => {
      asked.push(oid);
      const type = (await git(work.dir, ['cat-file', '-t', oid])).trim();
      const object = Buffer.from(await git(work.dir, ['cat-file', type, oid]), 'latin1');
      return { type, object };
    });
    expect(asked.length).toBeGreaterThan(0);
    const expected = (await git(work.dir, ['rev-list', '--objects', 'HEAD', '^HEAD~1']))
      .split('\n')
      .filter(Boolean)
      .map((l) => l.slice(0, 40))
      .sort();
    expect(idsOf(index)).toEqual(expected);
    await expect(indexPack(bytes, async () => undefined)).rejects.toThrow(
      /delta base [0-9a-f]{40} is missing/,
    );
  });

  it('refuses a corrupt pack', async () => {
    const bytes = Buffer.from(await pack(work, 'HEAD', ['--delta-base-offset']));
    bytes[100] = bytes[100]! ^ 0xff;
    await expect(indexPack(bytes, async () => undefined)).rejects.toThrow(
      new GitSourceError('the fetched pack is corrupt: checksum mismatch', 'network'),
    );
    await expect(indexPack(Buffer.from('PACK'), async () => undefined)).rejects.toBeInstanceOf(
      GitSourceError,
    );
  });
});
