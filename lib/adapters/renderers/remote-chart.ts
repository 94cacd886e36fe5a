import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type ChartRef, parseChartRef, RendererConfigError, type RenderLimits } from '../../core/render';
import {
  type ChartLock,
  type ChartSource,
  LOCK_FILE,
  lockedDigest,
  MAX_LOCK_BYTES,
  parseLock,
} from '../charts';
import { RenderError, TarError } from './errors';
import type { DependencyFetcher } from './helm-check';
import type { RepoCopy } from './repo-copy';
import { MAX_COPY_FILES } from './repo-copy';
import type { RepoDir, RepoTree } from './repo-tree';
import { untarGz } from './untar';

/** Where a pulled chart is unpacked in the copy: a name no repository path of the app uses. */
export const PULLED_DIR = '.plumbline-pulled';

/** The app directory's plumbline.lock, or an empty lock when it has none. */
export async function readChartLock(tree: RepoTree, app: RepoDir): Promise<ChartLock> {
  const path = app.path === '.' ? LOCK_FILE : `${app.path}/${LOCK_FILE}`;
  const found = await tree.lookup(path);
  if (found.kind === 'missing') return { charts: [] };
  if (found.kind !== 'file') throw new RenderError(`${path} is not a regular file in the repository`);
  if (found.file.size > MAX_LOCK_BYTES)
    throw new RenderError(`${path} is over the ${MAX_LOCK_BYTES}-byte limit`);
  return parseLock((await tree.readBytes(found.file)).toString('utf8'), path);
}

/**
 * Unpacks a pulled chart into the copy under PULLED_DIR and returns its path there (relative to
 * the copy's root). The archive must hold exactly one top-level directory, named as the chart.
 */
export async function unpackPulledChart(
  copy: RepoCopy,
  ref: ChartRef,
  archive: Buffer,
  limits: RenderLimits,
): Promise<{ path: string; bytes: number }> {
  const what = `chart ${ref.name} ${ref.version} from ${ref.repository}`;
  let files: Awaited<ReturnType<typeof untarGz>>;
  try {
    files = await untarGz(archive, limits.maxTotalBytes - copy.bytes, MAX_COPY_FILES);
  } catch (err: unknown) {
    if (err instanceof TarError) throw new RenderError(`${what}: ${err.message}`, { cause: err });
    throw err;
  }
  const tops = new Set(files.map((f) => f.path.split('/')[0]));
  if (tops.size !== 1 || !tops.has(ref.name) || files.some((f) => !f.path.includes('/'))) {
    throw new RenderError(`${what}: the archive must hold one top-level directory named ${ref.name}`);
  }
  let bytes = 0;
  for (const file of files) {
    if (file.data.length > limits.maxFileBytes) {
      throw new RenderError(
        `${what}: ${file.path} is ${file.data.length} bytes, over the ${limits.maxFileBytes}-byte limit (maxFileBytes)`,
      );
    }
    bytes += file.data.length;
    const out = join(copy.root, PULLED_DIR, file.path);
    await mkdir(dirname(out), { recursive: true, mode: 0o700 });
    await writeFile(out, file.data, { flag: 'wx', mode: 0o600 });
  }
  return { path: `${PULLED_DIR}/${ref.name}`, bytes };
}

/** Fetches a Chart.yaml dependency from its repository, at the version and digest locked, into charts/. */
export function dependencyFetcher(source: ChartSource, lock: ChartLock): DependencyFetcher {
  return async (dep, chartsDir, where) => {
    let ref: ChartRef;
    try {
      ref = parseChartRef(dep, `${where}: dependency ${JSON.stringify(dep.name)}`);
    } catch (err: unknown) {
      if (err instanceof RendererConfigError) throw new RenderError(err.message, { cause: err });
      throw err;
    }
    const { archive } = await source.pull(ref, lockedDigest(lock, ref), `${where}: dependency ${ref.name}`);
    await mkdir(chartsDir, { recursive: true, mode: 0o700 });
    try {
      await writeFile(join(chartsDir, `${ref.name}-${ref.version}.tgz`), archive, {
        flag: 'wx',
        mode: 0o600,
      });
    } catch (err: unknown) {
      throw new RenderError(`${where}: charts/${ref.name}-${ref.version}.tgz exists too: keep one`, {
        cause: err,
      });
    }
  };
}
