import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { ConfigMapInventoryStore, KubeHttp, KubernetesCluster } from '../adapters/kubernetes';
import { PlainRenderer } from '../adapters/renderers';
import { DEFAULT_RENDER_LIMITS, type RenderResult } from '../core/render';
import type { AllowList } from '../core/sync';
import { UsageError } from './errors';

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
} as const;

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

export async function renderPath(path: string | undefined, flags: AppFlags): Promise<RenderResult> {
  if (!path) throw new UsageError('an app directory is required: plumbline <command> PATH');
  if (!existsSync(path) || !statSync(path).isDirectory()) throw new UsageError(`${path}: not a directory`);
  const renderer = flags.renderer ?? 'plain';
  if (renderer !== 'plain')
    throw new UsageError(
      `renderer "${renderer}" is not available yet (kustomize and helm: issue #4); use --renderer plain`,
    );
  const repoRoot = resolve(flags['repo-root'] ?? findRepoRoot(path));
  return new PlainRenderer().render({ repoRoot, appPath: resolve(path), limits: DEFAULT_RENDER_LIMITS });
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

export function connect(flags: AppFlags): ClusterContext {
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
  const contextNamespace = kc.getContextObject(kc.getCurrentContext())?.namespace;
  const http = new KubeHttp(kc);
  const cluster = new KubernetesCluster(http);
  return {
    http,
    cluster,
    inventory: new ConfigMapInventoryStore(cluster),
    namespace: flags.namespace ?? contextNamespace ?? 'default',
    app: flags.app,
  };
}

export function outputOf(value: string | undefined, allowed: readonly string[]): string | undefined {
  if (value !== undefined && !allowed.includes(value))
    throw new UsageError(`-o supports ${allowed.join(' or ')}, got "${value}"`);
  return value;
}
