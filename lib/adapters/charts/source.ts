import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChartRef } from '../../core/render';
import { checkAllowed } from './allow-list';
import { ChartDigestError, ChartRefusedError } from './errors';
import type { FetchLike } from './http-client';
import { type PulledArchive, pullFromChartRepository } from './http-repo';
import { pullFromRegistry, type RegistryCredentials } from './oci';
import { type ChartKeyring, ChartProvenanceError, verifyProvenance } from './provenance';

export interface ChartSourceOptions {
  /** The deployment's `chartRepositories`; empty refuses every remote chart, naming its repository. */
  readonly allowList: readonly string[];
  /** Default `$PLUMBLINE_CACHE_DIR/charts`, else a directory under the system's temporary one. */
  readonly cacheDir?: string;
  readonly fetch?: FetchLike;
  /** Registry credentials by host (Amazon ECR: ecrCredentials). */
  readonly credentials?: RegistryCredentials;
  /** One request's limit (default 60 s). */
  readonly timeoutMs?: number;
  /** Largest chart archive (default 20 MiB; the unpacked files are bounded by the render limits too). */
  readonly maxChartBytes?: number;
  /**
   * Keys that sign chart provenance (config `chartKeyring`, `--chart-keyring`). When given, every
   * remote chart must have a `.prov` (or OCI provenance layer) that verifies with one of them.
   */
  readonly keyring?: ChartKeyring;
}

export interface PulledChart {
  /** `sha256:<hex>` of the .tgz: the OCI layer digest, and index.yaml's digest, alike. */
  readonly digest: string;
  readonly archive: Buffer;
}

export function sha256Of(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

function defaultCacheDir(): string {
  const root = process.env.PLUMBLINE_CACHE_DIR;
  return root ? join(root, 'charts') : join(tmpdir(), 'plumbline-charts');
}

/**
 * Remote charts, fetched before rendering into a content-addressed cache (`sha256/<hex>.tgz`).
 * Every pull checks the allow-list first, whatever the cache holds; a locked chart in the cache
 * is read from disk with no request at all. A pulled chart whose digest is not the locked one is
 * a ChartDigestError and never reaches the cache.
 */
export class ChartSource {
  private readonly cacheDir: string;

  constructor(private readonly options: ChartSourceOptions) {
    this.cacheDir = options.cacheDir ?? defaultCacheDir();
  }

  get allowList(): readonly string[] {
    return this.options.allowList;
  }

  /** The chart at its locked digest; `what` names the app or Chart.yaml in errors. */
  async pull(ref: ChartRef, locked: string | undefined, what: string): Promise<PulledChart> {
    checkAllowed(ref.repository, this.options.allowList, what);
    if (locked === undefined) {
      throw new ChartRefusedError(
        `${what}: chart ${ref.name} ${ref.version} from ${ref.repository} is not in plumbline.lock; run plumbline chart lock`,
      );
    }
    const cached = await this.cached(locked);
    // A cached chart is checked against today's keyring with its cached `.prov`, offline; with
    // none cached (it was pulled before a keyring was set) the chart is fetched again.
    if (cached && (await this.cachedProvenanceVerifies(ref, locked, cached, what)))
      return { digest: locked, archive: cached };
    const { archive, provenance } = await this.download(ref);
    const digest = sha256Of(archive);
    if (digest !== locked) {
      throw new ChartDigestError(
        `${what}: chart ${ref.name} ${ref.version} from ${ref.repository} is ${digest}, not the ${locked} plumbline.lock records; if the change is expected, run plumbline chart lock`,
      );
    }
    await this.checkProvenance(ref, archive, provenance, what);
    await this.store(digest, archive, provenance);
    return { digest, archive };
  }

  /** The chart as the repository serves it now, whatever any lock says (`plumbline chart lock`). */
  async resolve(ref: ChartRef, what: string): Promise<PulledChart> {
    checkAllowed(ref.repository, this.options.allowList, what);
    const { archive, provenance } = await this.download(ref);
    const digest = sha256Of(archive);
    await this.checkProvenance(ref, archive, provenance, what);
    await this.store(digest, archive, provenance);
    return { digest, archive };
  }

  private async checkProvenance(
    ref: ChartRef,
    archive: Buffer,
    provenance: Buffer | undefined,
    what: string,
  ): Promise<void> {
    const { keyring } = this.options;
    if (!keyring) return;
    const chart = `${what}: chart ${ref.name} ${ref.version} from ${ref.repository}`;
    if (!provenance)
      throw new ChartProvenanceError(`${chart} has no provenance (.prov), and a chart keyring is configured`);
    await verifyProvenance(ref, archive, provenance.toString('utf8'), keyring, chart);
  }

  private async cachedProvenanceVerifies(
    ref: ChartRef,
    digest: string,
    archive: Buffer,
    what: string,
  ): Promise<boolean> {
    if (!this.options.keyring) return true;
    const prov = await readFile(this.path(digest, '.prov')).catch(() => undefined);
    if (!prov) return false;
    await this.checkProvenance(ref, archive, prov, what);
    return true;
  }

  private download(ref: ChartRef): Promise<PulledArchive> {
    const common = {
      provenance: this.options.keyring !== undefined,
      maxChartBytes: this.options.maxChartBytes ?? 20 * 1024 * 1024,
      timeoutMs: this.options.timeoutMs ?? 60_000,
      ...(this.options.fetch ? { fetch: this.options.fetch } : {}),
    };
    if (ref.repository.startsWith('oci://')) {
      return pullFromRegistry(ref, {
        ...common,
        ...(this.options.credentials ? { credentials: this.options.credentials } : {}),
      });
    }
    return pullFromChartRepository(ref, common);
  }

  private path(digest: string, ext = '.tgz'): string {
    return join(this.cacheDir, 'sha256', `${digest.slice('sha256:'.length)}${ext}`);
  }

  /** The cached archive, re-hashed: a damaged or altered cache file is ignored and fetched again. */
  private async cached(digest: string): Promise<Buffer | undefined> {
    const data = await readFile(this.path(digest)).catch(() => undefined);
    return data && sha256Of(data) === digest ? data : undefined;
  }

  private async store(digest: string, archive: Buffer, provenance?: Buffer): Promise<void> {
    await mkdir(join(this.cacheDir, 'sha256'), { recursive: true, mode: 0o700 });
    const write = async (path: string, data: Buffer) => {
      const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
      await writeFile(temp, data, { mode: 0o600 });
      await rename(temp, path);
    };
    // The .prov first: a reader that finds the archive then finds its provenance too.
    if (provenance) await write(this.path(digest, '.prov'), provenance);
    await write(this.path(digest), archive);
  }
}
