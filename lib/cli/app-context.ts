import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import * as k8s from '@kubernetes/client-node';
import { ChartKeyring, ChartSource } from '../adapters/charts';
import { ecrCredentials } from '../adapters/charts/ecr';
import { ConfigMapInventoryStore, KubeHttp, KubernetesCluster } from '../adapters/kubernetes';
import { detectRenderer, rendererFor } from '../adapters/renderers';
import { JsonFileSecretStore } from '../adapters/secrets/json-file';
import type { IgnoreRule } from '../core/drift';
import {
  DEFAULT_RENDER_LIMITS,
  parseRendererConfig,
  RENDERER_TYPES,
  type RendererConfig,
  RendererConfigError,
  type RenderLimits,
  type RenderResult,
} from '../core/render';
import type { AllowList, SecretsConfig } from '../core/sync';
import { UsageError } from './errors';
import type { CliIo } from './io';

/** Options every app command shares (render takes the first four). */
export const APP_OPTIONS = {
  renderer: { type: 'string' },
  'repo-root': { type: 'string' },
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
  app: { type: 'string' },
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
  'allow-namespaces': { type: 'string' },
  'allow-cluster-scoped': { type: 'boolean' },
  concurrency: { type: 'string' },
  release: { type: 'string' },
  values: { type: 'string', multiple: true },
  'kube-version': { type: 'string' },
  'max-file-bytes': { type: 'string' },
  'secrets-file': { type: 'string' },
  cluster: { type: 'string' },
  repo: { type: 'string' },
  ref: { type: 'string' },
  'verify-signatures': { type: 'string', multiple: true },
  'chart-repositories': { type: 'string' },
  'chart-keyring': { type: 'string' },
} as const;

/** The renderer options of every app command, for its help text. */
export const RENDER_OPTIONS_HELP = `Renderer options:
  --renderer auto|plain|kustomize|helm   default auto: a kustomization means kustomize, a Chart.yaml helm
  --release NAME        helm release name (default: --app, else the directory's name)
  --values FILE         helm values file inside the repository, relative to the current directory (repeatable)
  --kube-version V      helm --kube-version, e.g. v1.33.0
  --max-file-bytes N    largest file the app may read (default 8388608; with --repo: maxFileBytes in plumbline.yaml)
  --chart-repositories URL,...   chart repositories and OCI registries remote charts and Chart.yaml
                        dependencies may come from (path prefix; none given: every remote chart is refused)
  --chart-keyring FILE  armored OpenPGP public keys: every remote chart must have a .prov they verify
  (helm renders into --namespace, default "default")

Source options (instead of PATH):
  --repo URL            a Git repository over HTTPS; the app is found in its plumbline.yaml by --app
                        (token for private repositories: PLUMBLINE_GIT_TOKEN)
  --ref REF             branch, tag or full ref (default main)
  --verify-signatures openpgp:KEYS.asc|ssh:ALLOWED_SIGNERS   refuse a commit not signed by these keys (repeatable)
`;

export interface AppFlags {
  renderer?: string;
  'repo-root'?: string;
  app?: string;
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  'allow-namespaces'?: string;
  'allow-cluster-scoped'?: boolean;
  concurrency?: string;
  release?: string;
  values?: string[];
  'kube-version'?: string;
  'max-file-bytes'?: string;
  'secrets-file'?: string;
  cluster?: string;
  repo?: string;
  ref?: string;
  'verify-signatures'?: string[];
  'chart-repositories'?: string;
  'chart-keyring'?: string;
}

export interface RenderInput {
  readonly rendered: RenderResult;
  /** With --repo: the commit rendered, the app's namespace from plumbline.yaml, the verified signer. */
  readonly commit?: string;
  readonly appNamespace?: string;
  /** With --repo: the app's prune settings from plumbline.yaml. */
  readonly appSettings?: {
    readonly allowEmpty: boolean;
    readonly pruneAdopted: boolean;
    readonly pruneShare: number;
    readonly ignoreDifferences: readonly IgnoreRule[];
  };
  readonly signer?: string;
}

/** The app's manifests from a local PATH, or with --repo from a Git repository and its plumbline.yaml. */
/** The render limits, with --max-file-bytes (whole bytes, at most the per-app total). */
function limitsOf(flags: AppFlags): RenderLimits {
  const raw = flags['max-file-bytes'];
  if (raw === undefined) return DEFAULT_RENDER_LIMITS;
  const max = DEFAULT_RENDER_LIMITS.maxTotalBytes;
  const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < 1 || value > max)
    throw new UsageError(
      `--max-file-bytes must be a whole number of bytes from 1 to ${max}, not ${JSON.stringify(raw)}`,
    );
  return { ...DEFAULT_RENDER_LIMITS, maxFileBytes: value };
}

/** The render's notes (what it skipped or found on its own) on stderr, one `note:` line each. */
export function printNotes(io: CliIo, rendered: RenderResult): void {
  for (const note of rendered.notes ?? []) io.err(`note: ${note}\n`);
}

export async function renderInput(path: string | undefined, flags: AppFlags): Promise<RenderInput> {
  if (!flags.repo) {
    if (flags.ref || flags['verify-signatures'])
      throw new UsageError('--ref and --verify-signatures need --repo URL');
    return { rendered: await renderPath(path, flags) };
  }
  if (path) throw new UsageError('give either PATH or --repo URL, not both');
  if (flags['max-file-bytes'] !== undefined)
    throw new UsageError(
      '--max-file-bytes is for PATH; with --repo the app sets maxFileBytes in plumbline.yaml',
    );
  const { renderFromRepo } = await import('./repo-source.js');
  const out = await renderFromRepo({
    url: flags.repo,
    ...(flags.ref ? { ref: flags.ref } : {}),
    ...(flags.app ? { app: flags.app } : {}),
    ...(flags['verify-signatures'] ? { verifySignatures: flags['verify-signatures'] } : {}),
    charts: chartSourceOf(flags),
  });
  return {
    rendered: out.rendered,
    commit: out.commit,
    appNamespace: out.app.namespace,
    appSettings: {
      allowEmpty: out.app.allowEmpty,
      pruneAdopted: out.app.pruneAdopted,
      pruneShare: out.app.pruneShare,
      ignoreDifferences: out.app.ignoreDifferences,
    },
    ...(out.signer ? { signer: out.signer } : {}),
  };
}

/**
 * Secrets Manager references resolved from a local JSON file (`--secrets-file`), with names
 * limited to `plumbline/<cluster>/` (`--cluster`, default `local`), as the deployment limits them.
 */
export function secretsOf(flags: AppFlags): SecretsConfig | undefined {
  const cluster = flags.cluster ?? 'local';
  if (!/^[a-zA-Z0-9][\w.-]{0,99}$/.test(cluster))
    throw new UsageError(`--cluster "${cluster}" is not a valid cluster name`);
  if (!flags['secrets-file']) return undefined;
  if (!existsSync(flags['secrets-file']))
    throw new UsageError(`secrets file ${flags['secrets-file']} not found`);
  return { store: new JsonFileSecretStore(flags['secrets-file']), prefix: `plumbline/${cluster}/` };
}

/** The repository root of a local path: the nearest ancestor holding `.git`, else the path itself. */
export function findRepoRoot(path: string): string {
  let dir = resolve(path);
  for (;;) {
    if (existsSync(join(dir, '.git'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return resolve(path);
    dir = parent;
  }
}

/** The app name a command uses: --app, else the app directory's name. */
export function appNameOf(path: string, flags: AppFlags): string {
  return flags.app ?? basename(resolve(path));
}

/** A --values path (relative to the current directory) as the repository-relative path config uses. */
function repoRelative(file: string, repoRoot: string): string {
  // Left as given: the validator refuses it by name rather than as a strange path.
  if (file.startsWith('-')) return file;
  const rel = relative(repoRoot, resolve(file));
  return isAbsolute(rel) ? rel : rel.split(sep).join('/');
}

/** The renderer configuration the flags ask for, `auto` resolved by looking at the directory. */
async function configOf(
  flags: AppFlags,
  repoRoot: string,
  appPath: string,
  shown: string,
): Promise<RendererConfig> {
  const requested = flags.renderer ?? 'auto';
  if (!(RENDERER_TYPES as readonly string[]).includes(requested)) {
    throw new UsageError(`unknown renderer "${requested}": use ${RENDERER_TYPES.join(', ')}`);
  }
  const type = requested === 'auto' ? await detectRenderer({ repoRoot, appPath }) : requested;
  const helmFlags = ['release', 'values', 'kube-version'].filter(
    (f) => flags[f as keyof AppFlags] !== undefined,
  );
  if (type !== 'helm') {
    if (helmFlags.length > 0) {
      throw new UsageError(
        `--${helmFlags.join(', --')} apply to helm only; ${shown} is rendered with ${type}`,
      );
    }
    return parseRendererConfig(type, 'command line');
  }
  const helm = {
    releaseName: flags.release ?? appNameOf(appPath, flags),
    namespace: flags.namespace ?? 'default',
    ...(flags.values ? { valueFiles: flags.values.map((f) => repoRelative(f, repoRoot)) } : {}),
    ...(flags['kube-version'] === undefined ? {} : { kubeVersion: flags['kube-version'] }),
  };
  return parseRendererConfig({ type: 'helm', helm }, 'command line');
}

export async function renderPath(path: string | undefined, flags: AppFlags): Promise<RenderResult> {
  if (!path) throw new UsageError('an app directory is required: plumbline <command> PATH');
  if (!existsSync(path) || !statSync(path).isDirectory()) throw new UsageError(`${path}: not a directory`);
  const repoRoot = resolve(flags['repo-root'] ?? findRepoRoot(path));
  const appPath = resolve(path);
  let config: RendererConfig;
  try {
    config = await configOf(flags, repoRoot, appPath, path);
  } catch (err: unknown) {
    if (err instanceof RendererConfigError) throw new UsageError(err.message, { cause: err });
    throw err;
  }
  return rendererFor(config, { charts: chartSourceOf(flags) }).render({
    repoRoot,
    appPath,
    limits: limitsOf(flags),
  });
}

/** `--chart-repositories URL,...`: the allow-list of remote charts (#15); cached under PLUMBLINE_CACHE_DIR. */
export function chartSourceOf(flags: Pick<AppFlags, 'chart-repositories' | 'chart-keyring'>): ChartSource {
  const allowList = (flags['chart-repositories'] ?? '')
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u !== '');
  for (const url of allowList) {
    if (!/^(https?|oci):\/\/[^/\s]+/.test(url))
      throw new UsageError(`--chart-repositories: "${url}" is not an https://, http:// or oci:// URL`);
  }
  const keyring = flags['chart-keyring'] === undefined ? undefined : chartKeyringOf(flags['chart-keyring']);
  // Amazon ECR is logged in to with the user's own AWS credentials, as `helm registry login` would be.
  return new ChartSource({
    allowList,
    ...(keyring ? { keyring } : {}),
    credentials: ecrCredentials({ credentials: fromNodeProviderChain() }),
  });
}

/** `--chart-keyring FILE`: armored public keys; every remote chart must then have a verifying `.prov`. */
function chartKeyringOf(file: string): ChartKeyring {
  let armored: string;
  try {
    armored = readFileSync(file, 'utf8');
  } catch (err: unknown) {
    throw new UsageError(
      `--chart-keyring: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`,
    );
  }
  if (!armored.includes('-----BEGIN PGP PUBLIC KEY BLOCK-----'))
    throw new UsageError(`--chart-keyring: ${file} holds no armored public key block (gpg --armor --export)`);
  return new ChartKeyring(armored, file);
}

export function allowListOf(flags: AppFlags): AllowList {
  const namespaces = flags['allow-namespaces']
    ?.split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  // With neither flag the CLI allows what the kubeconfig's credentials allow (#3).
  if (namespaces === undefined && !flags['allow-cluster-scoped']) return { clusterScoped: true };
  return { ...(namespaces ? { namespaces } : {}), clusterScoped: flags['allow-cluster-scoped'] === true };
}

export function concurrencyOf(flags: AppFlags): number {
  const value = flags.concurrency === undefined ? 16 : Number(flags.concurrency);
  if (!Number.isInteger(value) || value < 1 || value > 256)
    throw new UsageError(`--concurrency must be an integer from 1 to 256, got "${flags.concurrency}"`);
  return value;
}

export interface ClusterContext {
  readonly http: KubeHttp;
  readonly cluster: KubernetesCluster;
  readonly inventory: ConfigMapInventoryStore;
  readonly namespace: string;
  readonly app: string;
}

export function connect(flags: AppFlags, appNamespace?: string): ClusterContext {
  if (!flags.app) throw new UsageError('--app NAME is required');
  const kc = new k8s.KubeConfig();
  const file =
    flags.kubeconfig ?? process.env.KUBECONFIG?.split(':')[0] ?? join(homedir(), '.kube', 'config');
  if (!existsSync(file)) throw new UsageError(`kubeconfig ${file} not found; pass --kubeconfig FILE`);
  try {
    kc.loadFromFile(file);
  } catch (err: unknown) {
    throw new UsageError(
      `kubeconfig ${file}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
    );
  }
  if (flags.context) {
    if (!kc.getContextObject(flags.context))
      throw new UsageError(`context "${flags.context}" is not in ${file}`);
    kc.setCurrentContext(flags.context);
  }
  if (!kc.getCurrentCluster())
    throw new UsageError(
      `kubeconfig ${file} has no current cluster: set its current-context, or pass --context NAME`,
    );
  const contextNamespace = kc.getContextObject(kc.getCurrentContext())?.namespace;
  const http = new KubeHttp(kc);
  const cluster = new KubernetesCluster(http);
  return {
    http,
    cluster,
    inventory: new ConfigMapInventoryStore(cluster),
    namespace: flags.namespace ?? appNamespace ?? contextNamespace ?? 'default',
    app: flags.app,
  };
}

export function outputOf(value: string | undefined, allowed: readonly string[]): string | undefined {
  if (value !== undefined && !allowed.includes(value))
    throw new UsageError(`-o supports ${allowed.join(' or ')}, got "${value}"`);
  return value;
}
