import { parse, stringify } from 'yaml';
import type { ChartRef } from '../../core/render';
import { ChartRefusedError } from './errors';

/** The lock file's name, in the app directory beside its values (and Chart.yaml, if any). */
export const LOCK_FILE = 'plumbline.lock';
export const MAX_LOCK_BYTES = 256 * 1024;
const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** One pinned chart: what plumbline.yaml or Chart.yaml names, and the sha256 of its .tgz. */
export interface LockedChart extends ChartRef {
  readonly digest: string;
}

export interface ChartLock {
  readonly charts: readonly LockedChart[];
}

function sameRef(a: ChartRef, b: ChartRef): boolean {
  return a.repository === b.repository && a.name === b.name && a.version === b.version;
}

/** The digest locked for a chart, if any. */
export function lockedDigest(lock: ChartLock, ref: ChartRef): string | undefined {
  return lock.charts.find((c) => sameRef(c, ref))?.digest;
}

/** A lock with `entry` added or replaced, entries sorted so the file diffs well. */
export function withLocked(lock: ChartLock, entry: LockedChart): ChartLock {
  const charts = [...lock.charts.filter((c) => !sameRef(c, entry)), entry];
  const key = (c: ChartRef) => `${c.repository}\n${c.name}\n${c.version}`;
  return { charts: charts.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0)) };
}

/** plumbline.lock parsed; `where` names the file in a refusal. */
export function parseLock(text: string, where: string): ChartLock {
  let doc: unknown;
  try {
    doc = parse(text, { maxAliasCount: 0, uniqueKeys: true });
  } catch (err: unknown) {
    throw new ChartRefusedError(`${where} is not valid YAML`, { cause: err });
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new ChartRefusedError(`${where} must be a mapping with version: 1 and charts`);
  }
  const raw = doc as Record<string, unknown>;
  if (raw.version !== 1) throw new ChartRefusedError(`${where}: version must be 1`);
  const list = raw.charts ?? [];
  if (!Array.isArray(list)) throw new ChartRefusedError(`${where}: charts must be a list`);
  const charts = list.map((item: unknown, i): LockedChart => {
    const entry = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
    const field = (key: string): string => {
      const value = entry[key];
      if (typeof value !== 'string' || value === '')
        throw new ChartRefusedError(`${where}: charts[${i}].${key} must be a non-empty string`);
      return value;
    };
    const digest = field('digest');
    if (!DIGEST.test(digest))
      throw new ChartRefusedError(`${where}: charts[${i}].digest must be sha256:<64 hex digits>`);
    return {
      repository: field('repository').replace(/\/+$/, ''),
      name: field('name'),
      version: field('version'),
      digest,
    };
  });
  return { charts };
}

export function formatLock(lock: ChartLock): string {
  const header =
    '# Written by `plumbline chart lock`: the sha256 of each remote chart this app renders.\n' +
    '# A chart whose digest differs is refused; re-run the command to accept a new one.\n';
  return header + stringify({ version: 1, charts: lock.charts.map((c) => ({ ...c })) });
}
