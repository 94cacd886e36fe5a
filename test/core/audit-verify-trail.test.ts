import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import {
  type AuditDraft,
  type AuditMac,
  type AuditRecord,
  AuditRecordError,
  type Checkpoint,
  type CheckpointRef,
  checkpointMacMessage,
  HmacAuditMac,
  parseCheckpoint,
  recordMacMessage,
  sealRecord,
  verifyTrail,
} from '../../lib/core/audit';

const key = new HmacAuditMac(randomBytes(32), 'test-key');
const other = new HmacAuditMac(randomBytes(32), 'other-key');

function draft(n: number): AuditDraft {
  return {
    app: `app-${n % 3}`,
    commit: 'a'.repeat(40),
    trigger: 'webhook',
    outcome: 'succeeded',
    who: {},
    ts: new Date(Date.UTC(2026, 11, 1, 0, n)).toISOString(),
    durationMs: n,
    changes: [],
    counts: { created: n, configured: 0, unchanged: 0, deleted: 0, skipped: 0, failed: 0 },
  };
}

/** A chain of `n` records, each sealed onto the last and MAC'd with `mac` (none: no MAC). */
async function chain(
  n: number,
  mac: AuditMac | null = key,
  from: AuditRecord[] = [],
): Promise<AuditRecord[]> {
  const out = [...from];
  for (let i = out.length + 1; i <= n; i++) {
    const head = out.at(-1);
    const sealed = sealRecord('prod', draft(i), head ? { seq: head.seq, hash: head.hash } : undefined);
    out.push(mac ? { ...sealed, mac: await mac.mac(recordMacMessage(sealed.hash)) } : sealed);
  }
  return out;
}

async function* each(records: readonly AuditRecord[]): AsyncIterable<AuditRecord> {
  yield* records;
}

async function checkpointOf(record: AuditRecord, mac: AuditMac = key): Promise<Checkpoint> {
  const body = { cluster: 'prod', seq: record.seq, hash: record.hash, time: '2026-12-07T09:00:00.000Z' };
  return { ...body, mac: await mac.mac(checkpointMacMessage(body)) };
}

function store(checkpoints: readonly Checkpoint[]) {
  const refs: CheckpointRef[] = checkpoints.map((c, i) => ({
    cluster: c.cluster,
    seq: c.seq,
    hash: c.hash,
    location: `mem:${i}`,
  }));
  return { refs, read: async (ref: CheckpointRef) => checkpoints[Number(ref.location.slice(4))]! };
}

/** Re-seals records from `at` on without the key, as a table writer can, keeping the MACs in place. */
function reseal(
  records: readonly AuditRecord[],
  at: number,
  edit: (r: AuditRecord) => AuditRecord,
): AuditRecord[] {
  const out = records.slice(0, at);
  for (const [i, r] of records.slice(at).entries()) {
    const { cluster: _c, seq: _s, prevHash: _p, hash: _h, mac, ...content } = i === 0 ? edit(r) : r;
    const head = out.at(-1);
    const sealed = sealRecord(
      'prod',
      content as AuditDraft,
      head ? { seq: head.seq, hash: head.hash } : undefined,
    );
    out.push(mac === undefined ? sealed : { ...sealed, mac });
  }
  return out;
}

describe('verifyTrail', () => {
  it('accepts an intact chain, MACs and checkpoints, and says where the newest checkpoint is', async () => {
    const records = await chain(6);
    const result = await verifyTrail({
      cluster: 'prod',
      records: each(records),
      mac: key,
      checkpoints: store([await checkpointOf(records[2]!), await checkpointOf(records[5]!)]),
      concurrency: 2,
    });
    expect(result).toEqual({
      ok: true,
      count: 6,
      head: { seq: 6, hash: records[5]!.hash },
      checkpoint: { seq: 6, time: '2026-12-07T09:00:00.000Z', count: 2 },
    });
  });

  it('reports the earliest break when a MAC and a checkpoint both fail', async () => {
    const records = await chain(6);
    const forged = [...records];
    forged[2] = { ...forged[2]!, mac: await other.mac(recordMacMessage(forged[2]!.hash)) };
    const checkpoint = await checkpointOf({ ...records[4]!, hash: 'f'.repeat(64) });
    const result = await verifyTrail({
      cluster: 'prod',
      records: each(forged),
      mac: key,
      checkpoints: store([checkpoint]),
    });
    expect(result).toMatchObject({ ok: false, count: 2, broken: { seq: 3, reason: 'mac-mismatch' } });
    expect(result.head).toBeUndefined();
  });

  it('refuses a newest checkpoint with the same name but a forged MAC, and a body unlike its name', async () => {
    const records = await chain(3);
    const good = await checkpointOf(records[2]!);
    const twin = { ...good, mac: await other.mac(checkpointMacMessage(good)) };
    const result = await verifyTrail({
      cluster: 'prod',
      records: each(records),
      mac: key,
      checkpoints: store([good, twin]),
    });
    expect(result).toMatchObject({ ok: false, broken: { seq: 3, reason: 'checkpoint-invalid' } });
    const ref = { cluster: 'prod', seq: 3, hash: records[2]!.hash, location: 'x' };
    expect(() => parseCheckpoint(JSON.stringify({ ...good, seq: 2 }), ref)).toThrow(/not what its name says/);
  });

  it('finds any single edit of a keyed chain, re-sealed from there without the key', async () => {
    const records = await chain(8);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 7 }),
        fc.constantFrom<(r: AuditRecord) => AuditRecord>(
          (r) => ({ ...r, outcome: r.outcome === 'failed' ? 'succeeded' : 'failed' }),
          (r) => ({ ...r, app: `${r.app}-x` }),
          (r) => ({ ...r, durationMs: r.durationMs + 1 }),
          (r) => ({ ...r, mac: undefined }),
        ),
        async (at, edit) => {
          const result = await verifyTrail({
            cluster: 'prod',
            records: each(reseal(records, at, edit)),
            mac: key,
          });
          expect(result.ok).toBe(false);
          expect(result.broken?.seq).toBe(at + 1);
          expect(['mac-mismatch', 'unauthenticated']).toContain(result.broken?.reason);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('accepts a legacy prefix only as far as it is told, and never a MAC-less record after a MAC', async () => {
    const legacy = await chain(3, null);
    const records = await chain(5, key, legacy);
    const run = (through?: number, list = records) =>
      verifyTrail({
        cluster: 'prod',
        records: each(list),
        mac: key,
        ...(through !== undefined ? { acceptLegacyThrough: through } : {}),
      });
    expect(await run()).toMatchObject({ ok: false, broken: { seq: 1, reason: 'unauthenticated' } });
    expect(await run(2)).toMatchObject({ ok: false, broken: { seq: 3, reason: 'unauthenticated' } });
    expect(await run(3)).toMatchObject({ ok: true, count: 5, unauthenticated: { count: 3, through: 3 } });
    const downgraded = await chain(6, null, records);
    expect(await run(100, downgraded)).toMatchObject({
      ok: false,
      broken: { seq: 6, reason: 'unauthenticated' },
    });
  });

  it('passes a store read error on as a malformed record at its seq', async () => {
    const records = await chain(3);
    async function* broken(): AsyncIterable<AuditRecord> {
      yield records[0]!;
      throw Object.assign(new AuditRecordError("seq 2: changesGz is not gzip'd JSON"), { seq: 2 });
    }
    expect(await verifyTrail({ cluster: 'prod', records: broken(), mac: key })).toMatchObject({
      ok: false,
      count: 1,
      broken: { seq: 2, reason: 'malformed', message: "seq 2: changesGz is not gzip'd JSON" },
    });
  });
});

describe('HmacAuditMac', () => {
  it('refuses a key shorter than 32 bytes, and a MAC of another message or key', async () => {
    expect(() => new HmacAuditMac(randomBytes(16), 'short')).toThrow(/shorter than 32 bytes/);
    const mac = await key.mac(recordMacMessage('a'.repeat(64)));
    expect(await key.verify(recordMacMessage('a'.repeat(64)), mac)).toBe(true);
    expect(await key.verify(recordMacMessage('b'.repeat(64)), mac)).toBe(false);
    expect(await other.verify(recordMacMessage('a'.repeat(64)), mac)).toBe(false);
    // A record's MAC is never a checkpoint's: the messages are domain-separated.
    const body = { cluster: 'prod', seq: 1, hash: 'a'.repeat(64), time: 'x' };
    expect(await key.verify(checkpointMacMessage(body), mac)).toBe(false);
  });
});
