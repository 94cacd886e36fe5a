import { posix } from 'node:path';
import { isObj, type Obj } from '../manifests/object';
import { RendererConfigError } from './errors';

/** How a Helm chart in the repository is rendered (`helm template`, issue #4). */
export interface HelmOptions {
  readonly releaseName: string;
  readonly namespace: string;
  /** Relative to the repository root, each inside it; applied in order, before `values`. */
  readonly valueFiles?: readonly string[];
  /** Inline values, written to a file for `--values`: never turned into `--set` strings. */
  readonly values?: Readonly<Record<string, unknown>>;
  /** `--kube-version`, e.g. `v1.33.0` or `1.33`. */
  readonly kubeVersion?: string;
  /** `--include-crds`; default true. */
  readonly includeCrds?: boolean;
  /** A chart from a chart repository or OCI registry instead of the app directory (issue #15). */
  readonly chart?: ChartRef;
}

/** A remote chart, pinned to one exact version; its digest is in the app's plumbline.lock. */
export interface ChartRef {
  /** `https://…` or `http://…` (a chart repository with index.yaml) or `oci://host/path`. */
  readonly repository: string;
  readonly name: string;
  /** Exact SemVer 2, no range. */
  readonly version: string;
}

export type RendererType = 'plain' | 'kustomize' | 'helm' | 'auto';

export type RendererConfig =
  | { readonly type: 'plain' }
  | { readonly type: 'kustomize' }
  | { readonly type: 'helm'; readonly helm: HelmOptions }
  | { readonly type: 'auto'; readonly helm?: HelmOptions };

/** What the app itself supplies when the config names no release or namespace. */
export interface HelmDefaults {
  readonly releaseName?: string;
  readonly namespace?: string;
}

export const RENDERER_TYPES: readonly RendererType[] = ['plain', 'kustomize', 'helm', 'auto'];

const HELM_KEYS = ['releaseName', 'namespace', 'valueFiles', 'values', 'kubeVersion', 'includeCrds', 'chart'];
const CHART_KEYS = ['repository', 'name', 'version'];
/** Helm's chart name rule (lowercase, digits, '-', '_', '.'), bounded. */
const CHART_NAME = /^[a-z0-9]([-a-z0-9._]{0,98}[a-z0-9])?$/;
/** SemVer 2 exactly, with an optional leading 'v' as Helm accepts: no ranges, no wildcards. */
const EXACT_VERSION =
  /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;
const CHART_SCHEMES = ['https:', 'http:', 'oci:'];
/** Helm's own rule for release names (at most 53 characters). */
const RELEASE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const KUBE_VERSION = /^v?\d{1,3}\.\d{1,3}(\.\d{1,3})?$/;
const MAX_VALUE_FILES = 64;
const MAX_VALUES_DEPTH = 64;
const MAX_VALUES_NODES = 100_000;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
const CONTROL = /[\u0000-\u001f\u007f]/;

function quote(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/**
 * Every string outside inline `values` ends up on a command line or as a path: one starting with
 * '-' could be read as a flag (`--post-renderer`, `--enable-helm`, `--helm-command`), so it is
 * refused wherever it appears, whatever the field would otherwise accept.
 */
function checkString(value: unknown, field: string, where: string): string {
  if (value === undefined) throw new RendererConfigError(`${where}: ${field} is required`);
  if (typeof value !== 'string') throw new RendererConfigError(`${where}: ${field} must be a string`);
  if (value.startsWith('-')) {
    throw new RendererConfigError(
      `${where}: ${field} ${quote(value)} starts with '-': values that look like command-line flags are refused`,
    );
  }
  if (CONTROL.test(value)) {
    throw new RendererConfigError(`${where}: ${field} ${quote(value)} contains control characters`);
  }
  return value;
}

function checkKeys(raw: Obj, allowed: readonly string[], prefix: string, where: string): void {
  for (const key of Object.keys(raw)) {
    if (!allowed.includes(key)) {
      throw new RendererConfigError(
        `${where}: unknown key ${prefix}${quote(key)} (allowed: ${allowed.join(', ')})`,
      );
    }
  }
}

/** A repository-relative file path that stays inside the repository, '/'-separated and normalized. */
function checkValueFile(value: unknown, field: string, where: string): string {
  const text = checkString(value, field, where);
  if (text === '' || text.includes('\\')) {
    throw new RendererConfigError(`${where}: ${field} ${quote(text)} is not a repository path`);
  }
  if (posix.isAbsolute(text)) {
    throw new RendererConfigError(
      `${where}: ${field} ${quote(text)} is absolute: value files are relative to the repository root`,
    );
  }
  const normal = posix.normalize(text);
  if (normal === '..' || normal.startsWith('../')) {
    throw new RendererConfigError(`${where}: ${field} ${quote(text)} leaves the repository`);
  }
  return normal;
}

/** Inline values must be plain data (what YAML or JSON gives), bounded in depth and size. */
function checkValues(raw: unknown, where: string): Record<string, unknown> {
  if (!isObj(raw)) throw new RendererConfigError(`${where}: helm.values must be a mapping`);
  const stack: [unknown, number][] = [[raw, 1]];
  let nodes = 0;
  for (let entry = stack.pop(); entry; entry = stack.pop()) {
    const [value, depth] = entry;
    nodes += 1;
    if (nodes > MAX_VALUES_NODES) {
      throw new RendererConfigError(`${where}: helm.values has more than ${MAX_VALUES_NODES} entries`);
    }
    if (value === null || typeof value === 'string' || typeof value === 'boolean') continue;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new RendererConfigError(`${where}: helm.values holds ${value}`);
      continue;
    }
    if (depth > MAX_VALUES_DEPTH) {
      throw new RendererConfigError(`${where}: helm.values is nested deeper than ${MAX_VALUES_DEPTH} levels`);
    }
    if (Array.isArray(value)) for (const item of value) stack.push([item, depth + 1]);
    else if (isObj(value)) for (const item of Object.values(value)) stack.push([item, depth + 1]);
    else throw new RendererConfigError(`${where}: helm.values holds a ${typeof value}, not plain data`);
  }
  return raw;
}

/** `chart: {repository, name, version}`: a URL we can fetch, a chart name, an exact version. */
export function parseChartRef(raw: unknown, where: string): ChartRef {
  if (!isObj(raw))
    throw new RendererConfigError(`${where}: chart must be a mapping {repository, name, version}`);
  checkKeys(raw, CHART_KEYS, 'chart.', where);
  const repository = checkString(raw.repository, 'chart.repository', where);
  let url: URL;
  try {
    url = new URL(repository);
  } catch {
    throw new RendererConfigError(`${where}: chart.repository ${quote(repository)} is not a URL`);
  }
  if (!CHART_SCHEMES.includes(url.protocol) || url.host === '') {
    throw new RendererConfigError(
      `${where}: chart.repository ${quote(repository)} must be an https://, http:// or oci:// URL`,
    );
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw new RendererConfigError(
      `${where}: chart.repository ${quote(repository)} must carry no credentials, query or fragment`,
    );
  }
  const name = checkString(raw.name, 'chart.name', where);
  if (!CHART_NAME.test(name)) {
    throw new RendererConfigError(`${where}: chart.name ${quote(name)} is not a chart name`);
  }
  const version = raw.version;
  if (typeof version === 'number') {
    throw new RendererConfigError(`${where}: chart.version must be a string such as "1.2.3" (quote it)`);
  }
  const text = checkString(version, 'chart.version', where);
  if (!EXACT_VERSION.test(text)) {
    throw new RendererConfigError(
      `${where}: chart.version ${quote(text)} is not an exact version such as 1.2.3: ranges are not allowed`,
    );
  }
  return { repository: repository.replace(/\/+$/, ''), name, version: text };
}

function parseHelm(raw: unknown, where: string, defaults: HelmDefaults): HelmOptions {
  const helm: Obj = raw === undefined ? {} : isObj(raw) ? raw : {};
  if (raw !== undefined && !isObj(raw)) throw new RendererConfigError(`${where}: helm must be a mapping`);
  checkKeys(helm, HELM_KEYS, 'helm.', where);
  const releaseName = checkString(helm.releaseName ?? defaults.releaseName, 'helm.releaseName', where);
  if (releaseName.length > 53 || !RELEASE_NAME.test(releaseName)) {
    throw new RendererConfigError(
      `${where}: helm.releaseName ${quote(releaseName)} is not a Helm release name (lowercase letters, digits, '-' and '.', at most 53)`,
    );
  }
  const namespace = checkString(helm.namespace ?? defaults.namespace, 'helm.namespace', where);
  if (namespace.length > 63 || !DNS1123_LABEL.test(namespace)) {
    throw new RendererConfigError(`${where}: helm.namespace ${quote(namespace)} is not a namespace name`);
  }
  const options: {
    releaseName: string;
    namespace: string;
    valueFiles?: string[];
    values?: Record<string, unknown>;
    kubeVersion?: string;
    includeCrds?: boolean;
    chart?: ChartRef;
  } = { releaseName, namespace };
  if (helm.valueFiles !== undefined) {
    if (!Array.isArray(helm.valueFiles) || helm.valueFiles.length > MAX_VALUE_FILES) {
      throw new RendererConfigError(
        `${where}: helm.valueFiles must be a list of at most ${MAX_VALUE_FILES} paths`,
      );
    }
    options.valueFiles = helm.valueFiles.map((file: unknown, i) =>
      checkValueFile(file, `helm.valueFiles[${i}]`, where),
    );
  }
  if (helm.values !== undefined) options.values = checkValues(helm.values, where);
  if (helm.kubeVersion !== undefined) {
    const version = checkString(helm.kubeVersion, 'helm.kubeVersion', where);
    if (!KUBE_VERSION.test(version)) {
      throw new RendererConfigError(
        `${where}: helm.kubeVersion ${quote(version)} is not a Kubernetes version such as v1.33.0 or 1.33`,
      );
    }
    options.kubeVersion = version;
  }
  if (helm.includeCrds !== undefined) {
    if (typeof helm.includeCrds !== 'boolean') {
      throw new RendererConfigError(`${where}: helm.includeCrds must be true or false`);
    }
    options.includeCrds = helm.includeCrds;
  }
  if (helm.chart !== undefined) options.chart = parseChartRef(helm.chart, where);
  return options;
}

/**
 * Validates a renderer configuration from plumbline.yaml or the command line: a renderer name
 * (`kustomize`) or a mapping `{ type, helm? }`. Unknown keys, and strings that start with '-'
 * anywhere but inside inline values, are refused with a one-line RendererConfigError naming `where`.
 * `defaults` supply the release name and namespace (the app's) when the config names none; `auto`
 * without them carries no helm options, and a chart found by auto-detection is then refused.
 */
export function parseRendererConfig(
  raw: unknown,
  where: string,
  defaults: HelmDefaults = {},
): RendererConfig {
  const config: Obj = typeof raw === 'string' ? { type: raw } : isObj(raw) ? raw : {};
  if (typeof raw !== 'string' && !isObj(raw)) {
    throw new RendererConfigError(`${where}: renderer must be a name or a mapping with a type`);
  }
  const type = checkString(config.type ?? 'auto', 'type', where);
  if (!(RENDERER_TYPES as readonly string[]).includes(type)) {
    throw new RendererConfigError(
      `${where}: unknown renderer ${quote(type)} (known: ${RENDERER_TYPES.join(', ')})`,
    );
  }
  switch (type) {
    case 'plain':
    case 'kustomize':
      checkKeys(config, ['type'], '', where);
      return { type };
    case 'helm':
      checkKeys(config, ['type', 'helm'], '', where);
      return { type, helm: parseHelm(config.helm, where, defaults) };
    default: {
      checkKeys(config, ['type', 'helm'], '', where);
      const complete = defaults.releaseName !== undefined && defaults.namespace !== undefined;
      if (config.helm === undefined && !complete) return { type: 'auto' };
      return { type: 'auto', helm: parseHelm(config.helm, where, defaults) };
    }
  }
}
