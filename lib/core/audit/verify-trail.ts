import { type ChainBreak, type ChainBreakReason, ChainVerifier } from './chain';
import type { Checkpoint, CheckpointRef } from './checkpoint';
import { AuditCheckpointError } from './errors';
import { type AuditMac, checkpointMacMessage, recordMacMessage } from './mac';
import type { AuditRecord, ChainHead } from './record';

export interface TrailInput {
  readonly cluster: string;
  /** The chain in ascending seq; may throw a read error carrying `seq` (a malformed item). */
  readonly records: AsyncIterable<AuditRecord>;
  readonly mac: AuditMac;
  /** Every checkpoint the store lists for the cluster, with read() for the newest; none: no truncation check. */
  readonly checkpoints?: {
    readonly refs: readonly CheckpointRef[];
    read(ref: CheckpointRef): Promise<Checkpoint>;
  };
  /** Records up to this seq may lack a MAC (written before MACs existed); later ones may not. */
  readonly acceptLegacyThrough?: number;
  /** MAC checks in flight at once (KMS round trips). */
  readonly concurrency?: number;
}

export interface TrailResult {
  readonly ok: boolean;
  /** Records whose link, hash and MAC held, before any break. */
  readonly count: number;
  readonly head?: ChainHead;
  readonly broken?: ChainBreak;
  /** Records accepted without a MAC (seq 1..through), reported whenever there are any. */
  readonly unauthenticated?: { readonly count: number; readonly through: number };
  /** The newest checkpoint the chain was held against. */
  readonly checkpoint?: { readonly seq: number; readonly time: string; readonly count: number };
}

type Break = ChainBreak;

function brk(seq: number, reason: ChainBreakReason, message: string): Break {
  return { seq, reason, message };
}

/**
 * verify's whole check: each link and hash (ChainVerifier), each record's MAC under the auditor's
 * key (no MAC is a break unless the record predates MACs by the auditor's say), every checkpoint's
 * seq and hash against the chain, and the newest checkpoint's MAC, which also shows records deleted
 * from the end up to it. The earliest break wins.
 */
export async function verifyTrail(input: TrailInput): Promise<TrailResult> {
  const { mac } = input;
  const legacyThrough = input.acceptLegacyThrough ?? 0;
  const limit = input.concurrency ?? 16;
  const verifier = new ChainVerifier();
  const refs = [...(input.checkpoints?.refs ?? [])].sort((a, b) => a.seq - b.seq);
  const expected = new Map<number, CheckpointRef[]>();
  for (const ref of refs) expected.set(ref.seq, [...(expected.get(ref.seq) ?? []), ref]);
  let found: Break | undefined;
  const note = (b: Break): void => {
    if (!found || b.seq < found.seq) found = b;
  };
  let legacy = 0;
  let macSeen = false;
  const pending: Promise<void>[] = [];
  const checkMac = async (record: AuditRecord, macText: string): Promise<void> => {
    if (!(await mac.verify(recordMacMessage(record.hash), macText)))
      note(
        brk(
          record.seq,
          'mac-mismatch',
          `seq ${record.seq}: its MAC is not ${mac.keyId}'s (written without the key, or with another one)`,
        ),
      );
  };
  try {
    for await (const record of input.records) {
      if (found && record.seq >= found.seq) break;
      if (verifier.push(record)) break;
      if (typeof record.mac === 'string' && record.mac !== '') {
        macSeen = true;
        pending.push(checkMac(record, record.mac));
        if (pending.length >= limit) await Promise.all(pending.splice(0));
      } else if (macSeen || record.seq > legacyThrough) {
        note(
          brk(
            record.seq,
            'unauthenticated',
            macSeen
              ? `seq ${record.seq} has no MAC, after records that have one (a record written without the key)`
              : `seq ${record.seq} has no MAC: written before record MACs, or without the key (--accept-legacy SEQ accepts records up to SEQ)`,
          ),
        );
        break;
      } else legacy += 1;
      for (const ref of expected.get(record.seq) ?? [])
        if (ref.hash !== record.hash)
          note(
            brk(
              record.seq,
              'checkpoint-mismatch',
              `seq ${record.seq}: hash differs from checkpoint ${ref.location} (the chain was rewritten from there)`,
            ),
          );
    }
  } catch (err: unknown) {
    const seq = (err as { seq?: unknown } | null)?.seq;
    if (!(err instanceof Error) || !('seq' in err)) throw err;
    verifier.fail(err.message.replace(/^seq \d+: /, ''), typeof seq === 'number' ? seq : undefined);
  } finally {
    await Promise.all(pending.splice(0));
  }
  const chain = verifier.result();
  if (!chain.ok) note(chain.broken);
  const head = chain.ok ? chain.head : undefined;
  const newest = refs.at(-1);
  let checkpoint: TrailResult['checkpoint'];
  if (newest && input.checkpoints) {
    const at = await newestCheckpoint(input.checkpoints, refs, newest.seq, mac);
    if ('broken' in at) note(at.broken);
    else {
      checkpoint = { seq: at.seq, time: at.time, count: refs.length };
      const end = head?.seq ?? 0;
      if (chain.ok && end < at.seq)
        note(
          brk(
            end + 1,
            'checkpoint-missing',
            `seq ${end + 1}..${at.seq} are missing: checkpoint of ${at.time} has the chain at seq ${at.seq}, the table ends at seq ${end}`,
          ),
        );
    }
  }
  const count = found ? Math.min(chain.count, found.seq - 1) : chain.count;
  return {
    ok: found === undefined,
    count: Math.max(0, count),
    ...(head && !found ? { head } : {}),
    ...(found ? { broken: found } : {}),
    ...(legacy > 0 ? { unauthenticated: { count: legacy, through: legacy } } : {}),
    ...(checkpoint ? { checkpoint } : {}),
  };
}

/** Every stored version at the newest checkpoint's seq must be a checkpoint the key signed. */
async function newestCheckpoint(
  store: NonNullable<TrailInput['checkpoints']>,
  refs: readonly CheckpointRef[],
  seq: number,
  mac: AuditMac,
): Promise<Checkpoint | { broken: Break }> {
  let last: Checkpoint | undefined;
  for (const ref of refs.filter((r) => r.seq === seq)) {
    let checkpoint: Checkpoint;
    try {
      checkpoint = await store.read(ref);
    } catch (err: unknown) {
      if (!(err instanceof AuditCheckpointError)) throw err;
      return { broken: brk(seq, 'checkpoint-invalid', err.message) };
    }
    if (!(await mac.verify(checkpointMacMessage(checkpoint), checkpoint.mac)))
      return {
        broken: brk(seq, 'checkpoint-invalid', `checkpoint ${ref.location}: its MAC is not ${mac.keyId}'s`),
      };
    last = checkpoint;
  }
  return last!;
}
