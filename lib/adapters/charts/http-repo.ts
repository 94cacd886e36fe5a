import { createHash } from 'node:crypto';
import { parse } from 'yaml';
import type { ChartRef } from '../../core/render';
import { ChartRefusedError } from './errors';
import { type FetchLike, httpGet } from './http-client';
import { MAX_PROVENANCE_BYTES } from './provenance';

/** index.yaml of a large public repository is tens of MB; more than this is refused. */
export const MAX_INDEX_BYTES = 64 * 1024 * 1024;

export interface PullOptions {
  readonly maxChartBytes: number;
  readonly timeoutMs: number;
  readonly fetch?: FetchLike;
  /** `user:password` sent as Basic auth to this repository's host only. */
  readonly basic?: { readonly username: string; readonly password: string };
  /** Also fetch the archive's `.prov` (helm pull --verify); a 404 gives none. */
  readonly provenance?: boolean;
}

/** A pulled archive and, when asked for and served, its provenance document. */
export interface PulledArchive {
  readonly archive: Buffer;
  readonly provenance?: Buffer;
}

function sameVersion(a: string, b: string): boolean {
  return a.replace(/^v/, '') === b.replace(/^v/, '');
}

/**
 * A chart from an HTTP chart repository, as `helm pull` does: index.yaml names the archive's URL
 * (relative to the repository, or absolute) and its sha256, which the download must match.
 */
export async function pullFromChartRepository(ref: ChartRef, options: PullOptions): Promise<PulledArchive> {
  const what = `chart ${ref.name} ${ref.version} from ${ref.repository}`;
  const base = `${ref.repository.replace(/\/+$/, '')}/`;
  const headers: Record<string, string> = options.basic
    ? {
        authorization: `Basic ${Buffer.from(`${options.basic.username}:${options.basic.password}`).toString('base64')}`,
      }
    : {};
  const index = await httpGet(new URL('index.yaml', base).href, {
    what: `${what}: index.yaml`,
    repository: ref.repository,
    maxBytes: MAX_INDEX_BYTES,
    timeoutMs: options.timeoutMs,
    headers,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  if (index.status !== 200) throw new ChartRefusedError(`${what}: index.yaml answered ${index.status}`);
  let doc: unknown;
  try {
    doc = parse(index.body.toString('utf8'), { maxAliasCount: 100 });
  } catch (err: unknown) {
    throw new ChartRefusedError(`${what}: index.yaml is not valid YAML`, { cause: err });
  }
  const entries = (doc as { entries?: Record<string, unknown> } | null)?.entries?.[ref.name];
  if (!Array.isArray(entries))
    throw new ChartRefusedError(`${what}: the repository has no chart ${ref.name}`);
  const entry = entries.find(
    (e): e is { version: string; urls?: unknown; digest?: unknown } =>
      typeof e === 'object' &&
      e !== null &&
      typeof e.version === 'string' &&
      sameVersion(e.version, ref.version),
  );
  if (entry === undefined)
    throw new ChartRefusedError(`${what}: the repository has no version ${ref.version}`);
  const [first] = Array.isArray(entry.urls) ? entry.urls : [];
  if (typeof first !== 'string') throw new ChartRefusedError(`${what}: index.yaml gives no URL for it`);
  const url = new URL(first, base);
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new ChartRefusedError(`${what}: index.yaml points to a ${url.protocol} URL`);
  // Credentials go only where they were meant for: the repository's own origin.
  const sameOrigin = url.origin === new URL(base).origin;
  const archive = await httpGet(url.href, {
    what,
    repository: ref.repository,
    maxBytes: options.maxChartBytes,
    timeoutMs: options.timeoutMs,
    headers: sameOrigin ? headers : {},
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  if (archive.status !== 200) throw new ChartRefusedError(`${what}: the archive answered ${archive.status}`);
  if (typeof entry.digest === 'string' && entry.digest !== '') {
    const actual = createHash('sha256').update(archive.body).digest('hex');
    if (actual !== entry.digest.replace(/^sha256:/, '')) {
      throw new ChartRefusedError(
        `${what}: the archive's sha256 ${actual} is not the ${entry.digest} index.yaml gives`,
      );
    }
  }
  if (!options.provenance) return { archive: archive.body };
  // helm fetches `<archive URL>.prov` beside the archive.
  const prov = await httpGet(`${url.href}.prov`, {
    what: `${what}: provenance`,
    repository: ref.repository,
    maxBytes: MAX_PROVENANCE_BYTES,
    timeoutMs: options.timeoutMs,
    headers: sameOrigin ? headers : {},
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  if (prov.status === 404) return { archive: archive.body };
  if (prov.status !== 200) throw new ChartRefusedError(`${what}: its provenance answered ${prov.status}`);
  return { archive: archive.body, provenance: prov.body };
}
