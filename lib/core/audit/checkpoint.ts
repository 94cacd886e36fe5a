import { AuditCheckpointError } from './errors';
import { type AuditMac, type CheckpointBody, checkpointMacMessage } from './mac';
import { validateCluster } from './record';

export interface Checkpoint extends CheckpointBody {
  /** The record key's MAC of checkpointMacMessage(body), base64. */
  readonly mac: string;
}

/** A checkpoint as its store lists it: seq and hash are in its name, so listing needs no reads. */
export interface CheckpointRef {
  readonly cluster: string;
  readonly seq: number;
  readonly hash: string;
  /** Where it is (an S3 key and version id, a file path): for messages and read(). */
  readonly location: string;
}

/**
 * Where checkpoints live: write-once (S3 Object Lock in compliance mode, or a local directory).
 * list() returns every version a store keeps, so an overwritten or hidden checkpoint still shows.
 */
export interface CheckpointStore {
  /** Writes unless one for this seq and hash exists; returns false when it did. */
  write(checkpoint: Checkpoint): Promise<boolean>;
  list(cluster: string): Promise<CheckpointRef[]>;
  read(ref: CheckpointRef): Promise<Checkpoint>;
}

const SEQ_DIGITS = 12;
const NAME = /^(\d{12})-([0-9a-f]{64})\.json$/;

/** `<12-digit seq>-<hash>.json`: sorted by seq, and enough to check the chain without a read. */
export function checkpointName(seq: number, hash: string): string {
  return `${String(seq).padStart(SEQ_DIGITS, '0')}-${hash}.json`;
}

export function parseCheckpointName(name: string): { seq: number; hash: string } | undefined {
  const match = NAME.exec(name);
  return match ? { seq: Number(match[1]), hash: match[2]! } : undefined;
}

/** Parses a stored checkpoint; its body must be the one its name promises. */
export function parseCheckpoint(text: string, ref: CheckpointRef): Checkpoint {
  let value: Partial<Record<keyof Checkpoint, unknown>>;
  try {
    value = JSON.parse(text) as typeof value;
  } catch (err: unknown) {
    throw new AuditCheckpointError(`checkpoint ${ref.location} is not JSON`, { cause: err });
  }
  const { cluster, seq, hash, time, mac } = value ?? {};
  if (
    typeof cluster !== 'string' ||
    typeof seq !== 'number' ||
    typeof hash !== 'string' ||
    typeof time !== 'string' ||
    typeof mac !== 'string'
  )
    throw new AuditCheckpointError(`checkpoint ${ref.location} lacks cluster, seq, hash, time or mac`);
  if (cluster !== ref.cluster || seq !== ref.seq || hash !== ref.hash)
    throw new AuditCheckpointError(`checkpoint ${ref.location}: its content is not what its name says`);
  return { cluster, seq, hash, time, mac };
}

/** What checkpointHead needs of the audit store. */
export interface ChainHeadSource {
  head(cluster: string): Promise<{ readonly seq: number; readonly hash: string } | undefined>;
}

export type CheckpointOutcome = 'written' | 'unchanged' | 'empty';

/** Signs the cluster's current head and writes it, unless that head is checkpointed already. */
export async function checkpointHead(
  cluster: string,
  audit: ChainHeadSource,
  store: CheckpointStore,
  mac: AuditMac,
  now: Date = new Date(),
): Promise<{ outcome: CheckpointOutcome; seq?: number }> {
  const head = await audit.head(validateCluster(cluster));
  if (!head) return { outcome: 'empty' };
  const body: CheckpointBody = { cluster, seq: head.seq, hash: head.hash, time: now.toISOString() };
  const written = await store.write({ ...body, mac: await mac.mac(checkpointMacMessage(body)) });
  return { outcome: written ? 'written' : 'unchanged', seq: head.seq };
}

export interface CheckpointRun {
  readonly written: readonly string[];
  readonly failed: ReadonlyArray<{ readonly cluster: string; readonly error: string }>;
}

/**
 * checkpointHead for each cluster (the scheduled reconcile, local mode's tick); one cluster's failure
 * does not stop the others.
 */
export async function checkpointClusters(
  clusters: readonly string[],
  audit: ChainHeadSource,
  store: CheckpointStore,
  mac: AuditMac,
  now: Date = new Date(),
): Promise<CheckpointRun> {
  const written: string[] = [];
  const failed: Array<{ cluster: string; error: string }> = [];
  for (const cluster of clusters) {
    try {
      if ((await checkpointHead(cluster, audit, store, mac, now)).outcome === 'written')
        written.push(cluster);
    } catch (err: unknown) {
      const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      failed.push({ cluster, error: error.split('\n')[0]! });
    }
  }
  return { written, failed };
}
