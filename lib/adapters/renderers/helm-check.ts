import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { isObj } from '../../core/manifests/object';
import type { RenderLimits } from '../../core/render';
import { parseYamlDocuments } from './config-files';
import { RenderError, TarError } from './errors';
import type { RepoCopy } from './repo-copy';
import { MAX_COPY_FILES } from './repo-copy';
import { untarGz } from './untar';

/** Subcharts inside subcharts, at most. */
const MAX_CHART_DEPTH = 8;
/** JSON Schema keywords that load another document, which helm fetches (http, https) or reads (file). */
const REF_KEYWORDS = ['$ref', '$dynamicRef', '$recursiveRef'];
/** Metaschemas helm's validator has built in; any other `$schema` it would download. */
const KNOWN_METASCHEMA = /^https?:\/\/json-schema\.org\/[a-z0-9/.-]*#?$/;

/** What unpacked archives may still add: maxTotalBytes less what the copy and earlier archives hold. */
interface Budget {
  bytes: number;
}

/** A Chart.yaml dependency on a chart repository or OCI registry. */
export interface RemoteDependency {
  readonly name: string;
  readonly version: unknown;
  readonly repository: string;
}

/**
 * Places a remote dependency's archive in `chartsDir` (remote-chart.ts: allow-list, lock, cache);
 * `where` names the Chart.yaml. Without one, remote dependencies are refused.
 */
export type DependencyFetcher = (dep: RemoteDependency, chartsDir: string, where: string) => Promise<void>;

/** How prepareChart treats remote dependencies. */
export interface Remote {
  readonly fetch?: DependencyFetcher;
  /** Inside a chart pulled at a locked digest: a dependency its archive already holds is used as is. */
  readonly pinned: boolean;
}

function under(chart: string, name: string): string {
  return chart === '.' ? name : `${chart}/${name}`;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Dependencies must be vendored: `repository` empty, or `file://` inside the repository. helm
 * template never downloads them (we never pass --dependency-update), but a remote repository or
 * OCI registry in a chart in Git is refused outright, so what renders is always what is in Git.
 */
async function checkDependencies(
  copy: RepoCopy,
  chart: string,
  name: string,
  limits: RenderLimits,
  remote: Remote = { pinned: false },
): Promise<void> {
  const where = under(chart, name);
  const path = copy.at(where);
  if (!(await exists(path))) return;
  const [doc] = parseYamlDocuments(await readFile(path, 'utf8'), where, limits);
  if (!isObj(doc)) {
    if (name === 'Chart.yaml') throw new RenderError(`${where} is not a mapping`);
    return;
  }
  const deps = doc.dependencies ?? [];
  if (!Array.isArray(deps)) throw new RenderError(`${where}: dependencies must be a list`);
  for (const dep of deps) {
    if (!isObj(dep)) throw new RenderError(`${where}: every dependency must be a mapping`);
    const repository = dep.repository ?? '';
    const label = `dependency ${JSON.stringify(String(dep.name))}`;
    if (typeof repository !== 'string')
      throw new RenderError(`${where}: ${label} has a non-string repository`);
    if (repository === '') continue;
    if (!repository.startsWith('file://') && remote.fetch && /^(https?|oci):\/\//.test(repository)) {
      const depName = String(dep.name);
      const chartsDir = copy.at(under(chart, 'charts'));
      const vendored =
        (await exists(join(chartsDir, depName))) ||
        (await exists(join(chartsDir, `${depName}-${String(dep.version)}.tgz`)));
      if (!(remote.pinned && vendored)) {
        await remote.fetch({ name: depName, version: dep.version, repository }, chartsDir, where);
      }
      continue;
    }
    if (!repository.startsWith('file://')) {
      throw new RenderError(
        `${where}: ${label} comes from ${JSON.stringify(repository)}: remote chart repositories and OCI registries are not allowed; vendor it under charts/ with no repository or a file:// one`,
      );
    }
    const target = posix.normalize(posix.join(chart, repository.slice('file://'.length)));
    if (posix.isAbsolute(repository.slice('file://'.length)) || target === '..' || target.startsWith('../')) {
      throw new RenderError(
        `${where}: ${label} repository ${JSON.stringify(repository)} leaves the repository`,
      );
    }
  }
}

/** Refuses a values schema that would make helm load another document (a URL or a local file). */
async function checkSchema(copy: RepoCopy, chart: string): Promise<void> {
  const where = under(chart, 'values.schema.json');
  const path = copy.at(where);
  if (!(await exists(path))) return;
  let schema: unknown;
  try {
    schema = JSON.parse(await readFile(path, 'utf8'));
  } catch (err: unknown) {
    throw new RenderError(`${where} is not valid JSON`, { cause: err });
  }
  const stack: unknown[] = [schema];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    if (Array.isArray(node)) {
      stack.push(...node);
      continue;
    }
    if (!isObj(node)) continue;
    for (const [key, value] of Object.entries(node)) {
      if (REF_KEYWORDS.includes(key) && !(typeof value === 'string' && value.startsWith('#'))) {
        throw new RenderError(
          `${where}: ${key} ${JSON.stringify(value)} loads another document (helm would fetch or read it); only '#…' references are allowed`,
        );
      }
      if (key === '$schema' && !(typeof value === 'string' && KNOWN_METASCHEMA.test(value))) {
        throw new RenderError(
          `${where}: $schema ${JSON.stringify(value)} is not a json-schema.org metaschema`,
        );
      }
      if (key === '$vocabulary') throw new RenderError(`${where}: $vocabulary is not allowed`);
      stack.push(value);
    }
  }
}

/**
 * Unpacks `charts/*.tgz` of a chart in the copy into `charts/<dir>/`, checked by untarGz (no
 * links, devices, absolute paths or `..`; size and file count bounded), then removes the archive,
 * so the subchart is checked like any other and helm loads what was checked.
 */
async function unpackArchives(
  copy: RepoCopy,
  chart: string,
  limits: RenderLimits,
  budget: Budget,
): Promise<void> {
  const charts = copy.at(under(chart, 'charts'));
  if (!(await exists(charts))) return;
  for (const name of (await readdir(charts)).sort()) {
    if (!name.endsWith('.tgz')) continue;
    const where = under(chart, `charts/${name}`);
    const archive = join(charts, name);
    let files: Awaited<ReturnType<typeof untarGz>>;
    try {
      files = await untarGz(await readFile(archive), budget.bytes, MAX_COPY_FILES);
    } catch (err: unknown) {
      if (err instanceof TarError) throw new RenderError(`${where}: ${err.message}`, { cause: err });
      throw err;
    }
    const tops = new Set(files.map((f) => f.path.split('/')[0]));
    const [top] = tops;
    if (top === undefined || tops.size !== 1 || files.some((f) => !f.path.includes('/'))) {
      throw new RenderError(`${where}: a packaged chart holds exactly one top-level directory`);
    }
    for (const file of files) {
      if (file.data.length > limits.maxFileBytes) {
        throw new RenderError(
          `${where}: ${file.path} is ${file.data.length} bytes, over the ${limits.maxFileBytes}-byte limit (maxFileBytes)`,
        );
      }
      budget.bytes -= file.data.length;
    }
    if (budget.bytes < 0) {
      throw new RenderError(
        `${where} brings the files to render over the ${limits.maxTotalBytes}-byte limit (maxTotalBytes)`,
      );
    }
    const target = join(charts, top);
    if (await exists(target)) throw new RenderError(`${where}: charts/${top} exists too: keep one`);
    for (const file of files) {
      const out = join(charts, file.path);
      await mkdir(dirname(out), { recursive: true, mode: 0o700 });
      await writeFile(out, file.data, { flag: 'wx', mode: 0o600 });
    }
    await rm(archive);
  }
}

/**
 * Checks a chart in the copy and every subchart under its `charts/` before helm runs: packaged
 * subcharts unpacked and checked, dependencies vendored (see checkDependencies), values schemas
 * that load nothing (see checkSchema). `chart` is relative to the repository root.
 */
export async function prepareChart(
  copy: RepoCopy,
  chart: string,
  limits: RenderLimits,
  remote: Remote = { pinned: false },
  used = 0,
): Promise<void> {
  await prepare(copy, chart, limits, { bytes: limits.maxTotalBytes - copy.bytes - used }, 0, remote);
}

async function prepare(
  copy: RepoCopy,
  chart: string,
  limits: RenderLimits,
  budget: Budget,
  depth: number,
  remote: Remote,
): Promise<void> {
  if (depth > MAX_CHART_DEPTH) {
    throw new RenderError(`${chart}: subcharts nested deeper than ${MAX_CHART_DEPTH} levels`);
  }
  await checkDependencies(copy, chart, 'Chart.yaml', limits, remote);
  await checkDependencies(copy, chart, 'requirements.yaml', limits, remote);
  await checkSchema(copy, chart);
  await unpackArchives(copy, chart, limits, budget);
  const charts = copy.at(under(chart, 'charts'));
  if (!(await exists(charts))) return;
  const entries = await readdir(charts, { withFileTypes: true });
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (entry.isDirectory())
      await prepare(copy, under(chart, `charts/${entry.name}`), limits, budget, depth + 1, remote);
  }
}
