import fc from 'fast-check';
import {
  AUDIT_OUTCOMES,
  AUDIT_TRIGGERS,
  type AuditChange,
  type AuditDraft,
  type AuditRecord,
  canonicalJson,
  sealRecord,
  verifyChain,
} from '../../lib/core/audit';
import type { ChangeAction } from '../../lib/core/sync';

const ACTIONS: ChangeAction[] = ['created', 'configured', 'unchanged', 'deleted', 'skipped', 'failed'];
const text = fc.string({ unit: 'binary', minLength: 1, maxLength: 16 });
const hex64 = fc.stringMatching(/^[0-9a-f]{64}$/);
const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/);

const change: fc.Arbitrary<AuditChange> = fc.record(
  {
    id: fc
      .tuple(fc.constantFrom('', 'apps'), fc.constantFrom('Deployment', 'Secret'), name, name)
      .map((p) => p.join('/')),
    action: fc.constantFrom(...ACTIONS),
    reason: text,
    contentHash: hex64,
  },
  { requiredKeys: ['id', 'action'] },
);

const draft: fc.Arbitrary<AuditDraft> = fc.record(
  {
    app: name,
    repo: text,
    commit: fc.stringMatching(/^[0-9a-f]{40}$/),
    trigger: fc.constantFrom(...AUDIT_TRIGGERS),
    deliveryId: text,
    outcome: fc.constantFrom(...AUDIT_OUTCOMES),
    who: fc.record({ author: text, signer: text, principal: text }, { requiredKeys: [] }),
    ts: fc
      .date({ min: new Date('2020-01-01'), max: new Date('2040-01-01'), noInvalidDate: true })
      .map((d) => d.toISOString()),
    durationMs: fc.nat(),
    error: text,
    changes: fc.array(change, { maxLength: 4 }),
    counts: fc.record(
      Object.fromEntries(ACTIONS.map((a) => [a, fc.nat(1000)])) as Record<ChangeAction, fc.Arbitrary<number>>,
    ),
  },
  { requiredKeys: ['app', 'trigger', 'outcome', 'who', 'ts', 'durationMs', 'changes', 'counts'] },
);

function seal(drafts: readonly AuditDraft[]): AuditRecord[] {
  const out: AuditRecord[] = [];
  for (const d of drafts) out.push(sealRecord('prod', d, out.at(-1)));
  return out;
}

/** A copy with every object's keys in another order, chosen by `seed`. */
function shuffled(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((v, i) => shuffled(v, seed + i));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  let s = seed;
  for (let i = entries.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [entries[i], entries[j]] = [entries[j]!, entries[i]!];
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, shuffled(v, s + k.length)]));
}

type Tamper = (r: AuditRecord) => AuditRecord;
const other = <T>(values: readonly T[], current: T): T => values.find((v) => v !== current) as T;
const flip = (h: string): string => (h[0] === '0' ? '1' : '0') + h.slice(1);

const TAMPERS: Record<string, Tamper> = {
  app: (r) => ({ ...r, app: `${r.app}x` }),
  repo: (r) => ({ ...r, repo: `${r.repo ?? ''}x` }),
  commit: (r) => ({ ...r, commit: r.commit ? flip(r.commit) : 'f'.repeat(40) }),
  trigger: (r) => ({ ...r, trigger: other(AUDIT_TRIGGERS, r.trigger) }),
  deliveryId: (r) => ({ ...r, deliveryId: `${r.deliveryId ?? ''}x` }),
  outcome: (r) => ({ ...r, outcome: other(AUDIT_OUTCOMES, r.outcome) }),
  'who.author': (r) => ({ ...r, who: { ...r.who, author: `${r.who.author ?? ''}x` } }),
  'who.principal': (r) => ({ ...r, who: { ...r.who, principal: `${r.who.principal ?? ''}x` } }),
  ts: (r) => ({ ...r, ts: new Date(Date.parse(r.ts) + 1).toISOString() }),
  durationMs: (r) => ({ ...r, durationMs: r.durationMs + 1 }),
  error: (r) => ({ ...r, error: `${r.error ?? ''}x` }),
  'changes (added)': (r) => ({ ...r, changes: [...r.changes, { id: '/ConfigMap/x/y', action: 'deleted' }] }),
  'changes[0].action': (r) =>
    r.changes[0]
      ? {
          ...r,
          changes: [{ ...r.changes[0], action: other(ACTIONS, r.changes[0].action) }, ...r.changes.slice(1)],
        }
      : { ...r, changes: [{ id: '/ConfigMap/x/y', action: 'created' }] },
  'counts.failed': (r) => ({ ...r, counts: { ...r.counts, failed: r.counts.failed + 1 } }),
  truncated: (r) => ({ ...r, truncated: !r.truncated }),
  cluster: (r) => ({ ...r, cluster: 'staging' }),
  seq: (r) => ({ ...r, seq: r.seq + 1 }),
  'seq (lower)': (r) => ({ ...r, seq: r.seq - 1 }),
  prevHash: (r) => ({ ...r, prevHash: flip(r.prevHash) }),
  hash: (r) => ({ ...r, hash: flip(r.hash) }),
};

describe('audit chain properties', () => {
  it('canonical JSON does not depend on key order and round-trips', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.nat(), (value, seed) => {
        const canonical = canonicalJson(value);
        expect(canonicalJson(shuffled(value, seed))).toBe(canonical);
        expect(canonicalJson(JSON.parse(canonical))).toBe(canonical);
        expect(JSON.parse(canonical)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 300 },
    );
  });

  it('a valid chain of any length verifies, with its last record as head', () => {
    fc.assert(
      fc.property(fc.array(draft, { maxLength: 30 }), (drafts) => {
        const records = seal(drafts);
        const result = verifyChain(records);
        expect(result.ok).toBe(true);
        expect(result.count).toBe(records.length);
        if (result.ok && records.length > 0) expect(result.head?.hash).toBe(records.at(-1)?.hash);
      }),
      { numRuns: 100 },
    );
  });

  it('any single-field tamper of any record breaks verification at that record', () => {
    fc.assert(
      fc.property(
        fc.array(draft, { minLength: 1, maxLength: 12 }),
        fc.nat(),
        fc.constantFrom(...Object.keys(TAMPERS)),
        (drafts, pick, field) => {
          const records = seal(drafts);
          const index = pick % records.length;
          records[index] = TAMPERS[field]!(records[index]!);
          const result = verifyChain(records);
          expect(result.ok).toBe(false);
          if (!result.ok) expect(result.broken.seq).toBe(index + 1);
        },
      ),
      { numRuns: 500 },
    );
  });
});
