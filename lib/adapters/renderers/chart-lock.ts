import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { isObj } from '../../core/manifests/object';
import {
  type ChartRef,
  DEFAULT_RENDER_LIMITS,
  type HelmOptions,
  parseChartRef,
  RendererConfigError,
} from '../../core/render';
import { type ChartLock, type ChartSource, formatLock, LOCK_FILE, withLocked } from '../charts';
import { parseYamlDocuments } from './config-files';
import { RenderError } from './errors';
import { RepoTree } from './repo-tree';

const REMOTE = /^(https?|oci):\/\//;

/** The remote dependencies Chart.yaml of an app's chart names, checked as exact references. */
async function remoteDependencies(tree: RepoTree, appPath: string): Promise<ChartRef[]> {
  const path = appPath === '.' ? 'Chart.yaml' : `${appPath}/Chart.yaml`;
  const found = await tree.lookup(path);
  if (found.kind !== 'file') return [];
  const text = (await tree.readBytes(found.file)).toString('utf8');
  const [doc] = parseYamlDocuments(text, path, DEFAULT_RENDER_LIMITS);
  const deps = isObj(doc) && Array.isArray(doc.dependencies) ? doc.dependencies : [];
  const refs: ChartRef[] = [];
  for (const dep of deps) {
    if (!isObj(dep) || typeof dep.repository !== 'string' || !REMOTE.test(dep.repository)) continue;
    try {
      refs.push(
        parseChartRef(
          { repository: dep.repository, name: dep.name, version: dep.version },
          `${path}: dependency ${JSON.stringify(dep.name)}`,
        ),
      );
    } catch (err: unknown) {
      if (err instanceof RendererConfigError) throw new RenderError(err.message, { cause: err });
      throw err;
    }
  }
  return refs;
}

/**
 * `plumbline chart lock`: resolves the app's remote chart and its Chart.yaml's remote dependencies
 * as the repositories serve them now (allow-list checked), and writes their digests to the app
 * directory's plumbline.lock. Returns the lock written and its repository path.
 */
export async function lockAppCharts(
  repoRoot: string,
  appPath: string,
  helm: HelmOptions | undefined,
  source: ChartSource,
): Promise<{ path: string; lock: ChartLock }> {
  const tree = await RepoTree.open(repoRoot);
  const app = await tree.appDir(appPath);
  const refs = [...(helm?.chart ? [helm.chart] : []), ...(await remoteDependencies(tree, app.path))];
  if (refs.length === 0)
    throw new RenderError(`${app.path}: the app names no remote chart or dependency to lock`);
  let lock: ChartLock = { charts: [] };
  for (const ref of refs) {
    const { digest } = await source.resolve(ref, `app ${app.path}`);
    lock = withLocked(lock, { ...ref, digest });
  }
  const path = app.path === '.' ? LOCK_FILE : `${app.path}/${LOCK_FILE}`;
  const existing = await tree.lookup(path);
  if (existing.kind !== 'missing' && existing.kind !== 'file')
    throw new RenderError(`${path} exists and is not a regular file in the repository`);
  await writeFile(join(resolve(repoRoot), path), formatLock(lock), { mode: 0o644 });
  return { path, lock };
}
