import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parseAllDocuments } from 'yaml';
import { resolveLayerBinary } from '../../lib/adapters/binaries';
import { RenderError } from '../../lib/adapters/renderers';
import { DEFAULT_RENDER_LIMITS, type RenderLimits } from '../../lib/core/render';

export const LIMITS: RenderLimits = DEFAULT_RENDER_LIMITS;

/** A temporary directory holding `repo/` and `outside/` (what a hostile repository reaches for). */
export interface TempRepo {
  readonly tmp: string;
  readonly repo: string;
  readonly outside: string;
  write(path: string, text: string | Buffer, mode?: number): Promise<string>;
  link(target: string, path: string): Promise<void>;
  remove(): Promise<void>;
}

export async function tempRepo(): Promise<TempRepo> {
  const tmp = await mkdtemp(join(tmpdir(), 'plumbline-render-test-'));
  const repo = join(tmp, 'repo');
  const outside = join(tmp, 'outside');
  await mkdir(repo);
  await mkdir(outside);
  await writeFile(
    join(outside, 'secret.yaml'),
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stolen\n',
  );
  return {
    tmp,
    repo,
    outside,
    async write(path, text, mode) {
      const full = join(tmp, path);
      await mkdir(dirname(full), { recursive: true });
      await writeFile(full, text);
      if (mode !== undefined) await chmod(full, mode);
      return full;
    },
    async link(target, path) {
      const full = join(tmp, path);
      await mkdir(dirname(full), { recursive: true });
      await symlink(target, full);
    },
    remove: () => rm(tmp, { recursive: true, force: true }),
  };
}

/** The RenderError `work` rejects with, checked to be one line; fails on success or another error. */
export async function renderError(work: Promise<unknown>): Promise<RenderError> {
  const outcome = await work.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(outcome instanceof RenderError)) throw new Error(`expected a RenderError, got ${String(outcome)}`);
  expect(outcome.name).toBe('RenderError');
  expect(outcome.message).not.toMatch(/[\r\n]/);
  return outcome;
}

export interface TarEntry {
  readonly name: string;
  /** '0' file (default), '5' directory, '2' symbolic link, '1' hard link. */
  readonly type?: string;
  readonly data?: string;
  readonly linkname?: string;
}

function header(entry: TarEntry, size: number): Buffer {
  const block = Buffer.alloc(512);
  block.write(entry.name, 0, 100, 'utf8');
  block.write('0000644\0', 100, 'ascii');
  block.write('0000000\0', 108, 'ascii');
  block.write('0000000\0', 116, 'ascii');
  block.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'ascii');
  block.write('00000000000\0', 136, 'ascii');
  block.write(entry.type ?? '0', 156, 'ascii');
  if (entry.linkname) block.write(entry.linkname, 157, 100, 'utf8');
  block.write('ustar\0', 257, 'ascii');
  block.write('00', 263, 'ascii');
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return block;
}

/** A gzipped tar archive built by hand, so that tests can hold entries no honest tool writes. */
export function tarGz(entries: readonly TarEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const data = Buffer.from(entry.data ?? '', 'utf8');
    blocks.push(header(entry, data.length), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

/** `kubectl kustomize DIR`, run directly (not through Plumbline), its documents parsed. */
export function kubectlKustomize(dir: string): unknown[] {
  const home = mkdtempSync(join(tmpdir(), 'plumbline-kubectl-home-'));
  try {
    const out = execFileSync(resolveLayerBinary('kubectl'), ['kustomize', dir], {
      env: { PATH: '/usr/bin:/bin', HOME: home },
      encoding: 'utf8',
    });
    return parseAllDocuments(out).map((d) => d.toJS());
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/** The value at a dotted path (`spec.template.spec.containers.0.image`), for assertions on rendered objects. */
export function at(object: unknown, path: string): unknown {
  let value = object;
  for (const key of path.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}
