import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitTreeError } from '../../lib/adapters/git/errors';
import { MAX_OUTSIDE_REFS, outsideKustomizeRefs } from '../../lib/adapters/git/kustomize-refs';

function kustomization(refs: readonly string[]): string {
  const dest = mkdtempSync(join(tmpdir(), 'plumbline-krefs-'));
  mkdirSync(join(dest, 'apps/web'), { recursive: true });
  writeFileSync(
    join(dest, 'apps/web/kustomization.yaml'),
    `resources:\n${refs.map((r) => `  - ${r}`).join('\n')}\n`,
  );
  return dest;
}

describe('outsideKustomizeRefs', () => {
  const many = (n: number) => Array.from({ length: n }, (_, i) => `../../bases/b${i}`);

  it('finds up to the limit of outside paths, and leaves those covered by dependsOn uncounted', async () => {
    const dest = kustomization(many(MAX_OUTSIDE_REFS));
    const found = await outsideKustomizeRefs(dest, ['apps/web/kustomization.yaml'], ['apps/web']);
    expect(found).toHaveLength(MAX_OUTSIDE_REFS);
    const big = kustomization(many(5000));
    expect(await outsideKustomizeRefs(big, ['apps/web/kustomization.yaml'], ['apps/web', 'bases'])).toEqual(
      [],
    );
  });

  it('refuses a kustomization naming thousands of outside paths, before looking any up', async () => {
    const dest = kustomization(many(5000));
    const err = await outsideKustomizeRefs(dest, ['apps/web/kustomization.yaml'], ['apps/web']).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(GitTreeError);
    expect((err as GitTreeError).code).toBe('limit');
    expect((err as Error).message).toContain(`more than ${MAX_OUTSIDE_REFS} paths outside the app's path`);
  });

  it('never names a path outside the repository or an absolute one', async () => {
    const dest = kustomization(['../../../etc', '/etc/passwd', '../../../../x', '../../ok']);
    expect(await outsideKustomizeRefs(dest, ['apps/web/kustomization.yaml'], ['apps/web'])).toEqual(['ok']);
  });
});
