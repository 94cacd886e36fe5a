import type { AuditDraft, AuditRecord } from './record';

export interface AuditQuery {
  readonly cluster: string;
  readonly app?: string;
  /** The full commit id (an index key: prefixes do not match). */
  readonly commit?: string;
  /** ISO time: records with ts at or after it. */
  readonly since?: string;
  /** At most this many records (default 100). */
  readonly limit?: number;
}

export interface ScanOptions {
  /** Records per request (default 500). */
  readonly pageSize?: number;
}

/**
 * Where audit records live: one hash chain per cluster, append-only. The contract every
 * implementation keeps: `append` claims the next seq atomically (two writers never get one seq, so
 * the chain never forks), retries a bounded number of times when it loses the race, then throws
 * AuditContentionError.
 */
export interface AuditStore {
  /** Seals the draft onto the cluster's chain (seq, prevHash, hash) and writes it. */
  append(cluster: string, draft: AuditDraft): Promise<AuditRecord>;
  /** Newest first. */
  query(query: AuditQuery): Promise<AuditRecord[]>;
  /** The record with the highest seq, read consistently. */
  head(cluster: string): Promise<AuditRecord | undefined>;
  /** Every record of the cluster in ascending seq, page by page, for verification. */
  scan(cluster: string, options?: ScanOptions): AsyncIterable<AuditRecord>;
}
