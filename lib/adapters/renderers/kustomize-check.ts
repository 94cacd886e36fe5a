import { isObj, type Obj } from '../../core/manifests/object';
import type { RenderLimits } from '../../core/render';
import { parseYamlDocuments, type Resolved, readConfigFile, resolveRef } from './config-files';
import { RenderError } from './errors';
import type { RepoDir, RepoFile, RepoTree } from './repo-tree';

/** The names kustomize looks for, in its order. */
export const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'] as const;

const LOOKUP_CONCURRENCY = 32;

/** `fn` over `items`, at most `limit` at a time, results in order; the first rejection rejects. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Kustomizations one app may reach; far beyond any real overlay, short of a generated maze. */
const MAX_KUSTOMIZATIONS = 500;

const HELM_FIELDS = ['helmCharts', 'helmGlobals', 'helmChartInflationGenerator'];
/** Fields whose entries are paths to kustomizations (directories) or resource files. */
const TREE_FIELDS = ['resources', 'bases', 'components'];
/** Fields whose entries name files only. */
const FILE_FIELDS = ['crds', 'configurations'];
/** Fields of `{ path?, patch? }` entries. */
const PATH_ENTRY_FIELDS = ['patches', 'patchesJson6902', 'replacements'];
/** Plugin configurations: files, directories of kustomizations, or inline YAML. */
const PLUGIN_FIELDS = ['generators', 'transformers', 'validators'];
const FUNCTION_ANNOTATIONS = ['config.kubernetes.io/function', 'config.k8s.io/function'];

function inside(dir: string, path: string): boolean {
  return dir === '.' || path.startsWith(`${dir}/`);
}

interface Pending {
  readonly dir: RepoDir;
  /** Reached through generators/transformers/validators: its resources are plugin configurations. */
  readonly plugins: boolean;
}

export interface KustomizeCheck {
  /** Every kustomization directory reachable from the app: what the copy must hold. */
  readonly dirs: RepoDir[];
  /** The kustomization files read, relative to the repository root. */
  readonly files: string[];
}

function list(k: Obj, field: string, file: string): unknown[] {
  const value = k[field];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new RenderError(`${file}: ${field} must be a list`);
  return value;
}

function text(value: unknown, field: string, file: string): string {
  if (typeof value !== 'string') throw new RenderError(`${file}: ${field} must hold strings`);
  return value;
}

/** Inline YAML (a patch or a plugin config written in place) rather than a path. */
function isInline(value: string): boolean {
  return value.includes('\n') || value.trimStart().startsWith('{');
}

/**
 * Refuses plugin configurations that would run code or inflate Helm charts: KRM functions
 * (exec or container), non-builtin (Go or exec) plugins, and the Helm chart inflator.
 */
function checkPluginConfigs(docs: unknown[], where: string): void {
  for (const doc of docs) {
    if (doc === null || doc === undefined) continue;
    if (!isObj(doc)) throw new RenderError(`${where}: a plugin configuration must be a mapping`);
    const metadata = isObj(doc.metadata) ? doc.metadata : {};
    const annotations = isObj(metadata.annotations) ? metadata.annotations : {};
    const fn = FUNCTION_ANNOTATIONS.find((a) => a in annotations);
    if (fn) throw new RenderError(`${where}: KRM functions (${fn}: exec or container) are not allowed`);
    if (doc.kind === 'HelmChartInflationGenerator') {
      throw new RenderError(`${where}: HelmChartInflationGenerator: helm inflation is not allowed`);
    }
    if (doc.apiVersion !== 'builtin') {
      throw new RenderError(
        `${where}: plugin ${String(doc.kind)} (apiVersion ${JSON.stringify(doc.apiVersion)}) is not a builtin kustomize plugin: only builtin plugins are allowed`,
      );
    }
  }
}

export class KustomizeChecker {
  private readonly queue: Pending[] = [];
  private readonly seen = new Set<string>();
  private readonly dirs: RepoDir[] = [];
  private readonly files: string[] = [];

  constructor(
    private readonly tree: RepoTree,
    private readonly limits: RenderLimits,
  ) {}

  /**
   * Parses every kustomization reachable from `app` and refuses, naming the file: remote or
   * absolute references, paths that leave the repository (lexically or through links), paths that
   * do not exist, Helm inflation, KRM functions and non-builtin plugins (issue #4).
   */
  async check(app: RepoDir): Promise<KustomizeCheck> {
    this.enqueue({ dir: app, plugins: false });
    for (let next = this.queue.shift(); next; next = this.queue.shift()) await this.visit(next);
    return { dirs: this.dirs, files: this.files };
  }

  private enqueue(pending: Pending): void {
    const key = `${pending.dir.path}\0${pending.plugins}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    if (this.seen.size > MAX_KUSTOMIZATIONS) {
      throw new RenderError(`${pending.dir.path}: more than ${MAX_KUSTOMIZATIONS} kustomizations to read`);
    }
    this.queue.push(pending);
  }

  /** The kustomization file of a directory; none, or more than one, is refused. */
  private async kustomizationOf(dir: RepoDir): Promise<RepoFile> {
    const found: RepoFile[] = [];
    for (const name of KUSTOMIZATION_FILES) {
      const path = dir.path === '.' ? name : `${dir.path}/${name}`;
      const hit = await this.tree.lookup(path);
      if (hit.kind === 'file') found.push(hit.file);
      else if (hit.kind === 'escapes') {
        throw new RenderError(`${path} resolves outside the repository through a symbolic link`);
      } else if (hit.kind !== 'missing') throw new RenderError(`${path} is not a readable file`);
    }
    const [file, second] = found;
    if (!file)
      throw new RenderError(`${dir.path} holds no kustomization.yaml, kustomization.yml or Kustomization`);
    if (second) throw new RenderError(`${dir.path} holds both ${file.path} and ${second.path}: keep one`);
    return file;
  }

  private async visit({ dir, plugins }: Pending): Promise<void> {
    const file = await this.kustomizationOf(dir);
    if (!this.dirs.some((d) => d.path === dir.path)) this.dirs.push(dir);
    if (!this.files.includes(file.path)) this.files.push(file.path);
    const [doc, extra] = parseYamlDocuments(
      await readConfigFile(this.tree, file, this.limits),
      file.path,
      this.limits,
    );
    if (extra !== undefined) throw new RenderError(`${file.path}: more than one YAML document`);
    if (doc !== null && doc !== undefined && !isObj(doc))
      throw new RenderError(`${file.path} is not a mapping`);
    const k: Obj = isObj(doc) ? doc : {};
    const ref = async (value: unknown, field: string): Promise<Resolved> => {
      const path = text(value, field, file.path);
      const found = await resolveRef(this.tree, dir.path, path, field, file.path);
      // What kustomize's load restrictor refuses anyway, refused here by name; the copy holds
      // only kustomization directories, so such a file would not even be there.
      if (found.kind === 'file' && !inside(dir.path, found.file.path)) {
        throw new RenderError(
          `${file.path}: ${field} ${JSON.stringify(path)} is outside ${dir.path}: files must be in or below the kustomization's directory`,
        );
      }
      return found;
    };

    for (const field of HELM_FIELDS) {
      if (k[field] !== undefined)
        throw new RenderError(`${file.path}: ${field}: helm inflation is not allowed`);
    }
    for (const field of TREE_FIELDS) {
      // Resolved concurrently (a base may list hundreds of files), handled in order.
      const entries = list(k, field, file.path);
      for (const found of await mapLimit(entries, LOOKUP_CONCURRENCY, (entry) => ref(entry, field))) {
        if (found.kind === 'dir') this.enqueue({ dir: found.dir, plugins });
        else if (plugins) await this.checkPluginFile(found.file);
      }
    }
    for (const field of FILE_FIELDS) {
      for (const entry of list(k, field, file.path)) this.fileRef(await ref(entry, field), field, file.path);
    }
    for (const entry of list(k, 'patchesStrategicMerge', file.path)) {
      const value = text(entry, 'patchesStrategicMerge', file.path);
      if (!isInline(value))
        this.fileRef(await ref(value, 'patchesStrategicMerge'), 'patchesStrategicMerge', file.path);
    }
    for (const field of PATH_ENTRY_FIELDS) {
      for (const entry of list(k, field, file.path)) {
        if (isObj(entry) && entry.path !== undefined) {
          this.fileRef(await ref(entry.path, `${field}.path`), `${field}.path`, file.path);
        }
      }
    }
    for (const field of ['configMapGenerator', 'secretGenerator']) {
      for (const entry of list(k, field, file.path)) {
        if (!isObj(entry)) continue;
        for (const source of list(entry, 'files', file.path)) {
          // `[key=]path`: the key ends at the first '='.
          const value = text(source, `${field}.files`, file.path);
          const path = value.includes('=') ? value.slice(value.indexOf('=') + 1) : value;
          this.fileRef(await ref(path, `${field}.files`), `${field}.files`, file.path);
        }
        const envs = [...list(entry, 'envs', file.path), ...(entry.env === undefined ? [] : [entry.env])];
        for (const env of envs) this.fileRef(await ref(env, `${field}.envs`), `${field}.envs`, file.path);
      }
    }
    for (const field of PLUGIN_FIELDS) {
      for (const entry of list(k, field, file.path)) {
        const value = text(entry, field, file.path);
        if (isInline(value)) {
          const where = `${file.path} (inline ${field})`;
          checkPluginConfigs(parseYamlDocuments(value, where, this.limits), where);
          continue;
        }
        const found = await ref(value, field);
        if (found.kind === 'dir') this.enqueue({ dir: found.dir, plugins: true });
        else await this.checkPluginFile(found.file);
      }
    }
    if (k.openapi !== undefined) {
      if (!isObj(k.openapi)) throw new RenderError(`${file.path}: openapi must be a mapping`);
      if (k.openapi.path !== undefined)
        this.fileRef(await ref(k.openapi.path, 'openapi.path'), 'openapi.path', file.path);
    }
  }

  private fileRef(found: Resolved, field: string, file: string): void {
    if (found.kind !== 'file')
      throw new RenderError(`${file}: ${field} ${found.dir.path} is a directory, not a file`);
  }

  private async checkPluginFile(file: RepoFile): Promise<void> {
    const docs = parseYamlDocuments(
      await readConfigFile(this.tree, file, this.limits),
      file.path,
      this.limits,
    );
    checkPluginConfigs(docs, file.path);
  }
}
