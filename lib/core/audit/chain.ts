import { type AuditRecord, type ChainHead, GENESIS_HASH, recordHash } from './record';

export type ChainBreakReason =
  | 'hash-mismatch'
  | 'prev-hash-mismatch'
  | 'gap'
  | 'out-of-order'
  | 'malformed'
  // verify-trail.ts: the record key and the checkpoints.
  | 'mac-mismatch'
  | 'unauthenticated'
  | 'checkpoint-mismatch'
  | 'checkpoint-missing'
  | 'checkpoint-invalid';

/** The first broken link: `seq` is the position in the chain where it breaks. */
export interface ChainBreak {
  readonly seq: number;
  readonly reason: ChainBreakReason;
  /** One line for people. */
  readonly message: string;
}

export type ChainResult =
  | { readonly ok: true; readonly count: number; readonly head?: ChainHead }
  | { readonly ok: false; readonly count: number; readonly broken: ChainBreak };

/**
 * Checks records one at a time in ascending seq (so a chain of any length is verified in constant
 * memory) and stops at the first broken link. Per record, in order: its seq follows the previous
 * one (a deleted record is a gap), its prevHash is the previous record's hash (a record replaced
 * and re-hashed shows here, at the next seq), and its hash is the hash of its own content (an
 * edited field, including seq, prevHash and hash themselves, shows here).
 */
export class ChainVerifier {
  private head: ChainHead | undefined;
  private checked = 0;
  private broken: ChainBreak | undefined;

  /** Returns the break this record causes, or the earlier one; later records are not looked at. */
  push(record: AuditRecord): ChainBreak | undefined {
    if (this.broken) return this.broken;
    const expected = this.nextSeq;
    const prevHash = this.head ? this.head.hash : GENESIS_HASH;
    this.broken = linkBreak(record, expected, prevHash);
    if (this.broken) return this.broken;
    this.checked += 1;
    this.head = { seq: record.seq, hash: record.hash };
    return undefined;
  }

  /** The seq the next record must have. */
  get nextSeq(): number {
    return this.head ? this.head.seq + 1 : 1;
  }

  /**
   * Records a break found outside the chain logic: an item the store could not read back, at
   * `seq` (default: where the next record belongs).
   */
  fail(message: string, seq: number = this.nextSeq): ChainBreak {
    this.broken ??= { seq, reason: 'malformed', message: `seq ${seq}: ${message}` };
    return this.broken;
  }

  result(): ChainResult {
    if (this.broken) return { ok: false, count: this.checked, broken: this.broken };
    return this.head ? { ok: true, count: this.checked, head: this.head } : { ok: true, count: 0 };
  }
}

function linkBreak(record: AuditRecord, expected: number, prevHash: string): ChainBreak | undefined {
  if (record.seq !== expected) {
    const gap = Number.isSafeInteger(record.seq) && record.seq > expected;
    return {
      seq: expected,
      reason: gap ? 'gap' : 'out-of-order',
      message: gap
        ? `seq ${expected} is missing (the next record is seq ${record.seq})`
        : `seq ${expected} expected, found a record claiming seq ${String(record.seq)}`,
    };
  }
  if (record.prevHash !== prevHash)
    return {
      seq: expected,
      reason: 'prev-hash-mismatch',
      message:
        expected === 1
          ? 'seq 1: prevHash is not the genesis hash (records before it were removed or it was replaced)'
          : `seq ${expected}: prevHash is not the hash of seq ${expected - 1} (one of them was replaced)`,
    };
  let actual: string;
  try {
    actual = recordHash(record);
  } catch (err: unknown) {
    const why = err instanceof Error ? err.message : String(err);
    return { seq: expected, reason: 'malformed', message: `seq ${expected}: cannot be hashed: ${why}` };
  }
  if (actual !== record.hash)
    return {
      seq: expected,
      reason: 'hash-mismatch',
      message: `seq ${expected}: hash does not match the record's content (the record was edited)`,
    };
  return undefined;
}

/** Verifies records given in ascending seq, starting at seq 1. */
export function verifyChain(records: Iterable<AuditRecord>): ChainResult {
  const verifier = new ChainVerifier();
  for (const record of records) if (verifier.push(record)) break;
  return verifier.result();
}
