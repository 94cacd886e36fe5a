import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/git';

const BIN = join(__dirname, '..', '..', 'bin', 'plumbline.cjs');

function run(cacheDir: string, extra: Record<string, string> = {}): string {
  return execFileSync(process.execPath, [BIN, '--help'], {
    env: { ...process.env, PLUMBLINE_CACHE_DIR: cacheDir, ...extra },
    encoding: 'utf8',
  });
}

function cached(cacheDir: string): string[] {
  try {
    return readdirSync(join(cacheDir, 'compile'), { recursive: true }).map(String);
  } catch {
    return [];
  }
}

/** bin/plumbline.cjs: the built CLI with V8's code cache (start-up time, #3). */
describe('bin/plumbline.cjs', () => {
  it('writes a code cache on the first run and gives the same output from it', () => {
    const dir = tempDir('plumbline-bin-');
    const first = run(dir);
    expect(first).toContain('Usage: plumbline <command>');
    expect(cached(dir).length).toBeGreaterThan(0);
    expect(run(dir)).toBe(first);
  });

  // Node 20: bin's own vm.Script cache file; Node >= 22.1: an entry of Node's compile cache (npm run test:node22).
  it('ignores a damaged cache and replaces it', () => {
    const dir = tempDir('plumbline-bin-');
    run(dir);
    const name = cached(dir).find((entry) => statSync(join(dir, 'compile', entry)).isFile());
    const file = join(dir, 'compile', name!);
    writeFileSync(file, 'not a code cache');
    expect(run(dir)).toContain('Usage: plumbline <command>');
    expect(readFileSync(file).length).toBeGreaterThan(1000);
  });

  it('writes nothing with PLUMBLINE_NO_COMPILE_CACHE=1', () => {
    const dir = tempDir('plumbline-bin-');
    expect(run(dir, { PLUMBLINE_NO_COMPILE_CACHE: '1' })).toContain('Usage: plumbline <command>');
    expect(cached(dir)).toEqual([]);
  });
});
