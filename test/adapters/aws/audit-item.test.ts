import { gzipSync } from 'node:zlib';
import {
  appKeyOf,
  decodeItem,
  encodeItem,
  fitDraft,
  ITEM_LIMIT_BYTES,
  itemSize,
  skOf,
} from '../../../lib/adapters/aws/audit-item';
import {
  type AuditChange,
  type AuditDraft,
  normalizeDraft,
  sealRecord,
  verifyChain,
} from '../../../lib/core/audit';

const counts = { created: 0, configured: 0, unchanged: 0, deleted: 0, skipped: 0, failed: 0 };

function draft(changes: AuditChange[]): AuditDraft {
  return normalizeDraft({
    app: 'shop',
    commit: 'a'.repeat(40),
    trigger: 'schedule',
    outcome: 'succeeded',
    who: {},
    ts: '2026-11-26T12:00:00.000Z',
    durationMs: 5,
    changes,
    counts: { ...counts, unchanged: changes.length },
  });
}

function many(n: number, action: AuditChange['action'] = 'unchanged'): AuditChange[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `apps/Deployment/namespace-${i % 50}/deployment-with-a-long-name-${i}`,
    action,
    contentHash: (i * 2654435761).toString(16).padStart(64, 'c').slice(-64),
  }));
}

describe('audit item layout', () => {
  it('uses the public key schema and reads back the same record', () => {
    const record = sealRecord('prod', draft(many(2)), undefined);
    const item = encodeItem(record, false);
    expect(item).toMatchObject({
      pk: 'CLUSTER#prod',
      sk: 'SEQ#000000000001',
      appKey: 'prod#shop',
      commit: 'a'.repeat(40),
    });
    expect(item).not.toHaveProperty('cluster');
    expect(item).not.toHaveProperty('seq');
    expect(skOf(42)).toBe('SEQ#000000000042');
    expect(appKeyOf('prod', 'shop')).toBe('prod#shop');
    expect(decodeItem(item)).toEqual(JSON.parse(JSON.stringify(record)));
    const compressed = encodeItem(record, true);
    expect(compressed.changes).toBeUndefined();
    expect(verifyChain([decodeItem(compressed)]).ok).toBe(true);
  });

  it.each([
    ['a sort key that is not SEQ#<12 digits>', { sk: 'SEQ#1' }, /sort key "SEQ#1"/],
    ['an appKey of another app', { appKey: 'prod#other' }, /seq 1: appKey does not match/],
    ['both changes and changesGz', { changesGz: gzipSync('[]') }, /seq 1: holds both changes and changesGz/],
    ['a missing hash', { hash: undefined }, /seq 1: hash is not a string/],
  ])('refuses an item with %s', (_name, patch, message) => {
    const item = { ...encodeItem(sealRecord('prod', draft([]), undefined), false), ...patch };
    expect(() => decodeItem(item)).toThrow(message);
  });

  it('refuses a compressed change set that is not gzip or expands past 16 MB', () => {
    const item = encodeItem(sealRecord('prod', draft([]), undefined), true);
    expect(() => decodeItem({ ...item, changesGz: new Uint8Array([1, 2, 3]) })).toThrow(/not gzip'd JSON/);
    const bomb = gzipSync(Buffer.alloc(20 * 1024 * 1024, 32));
    expect(() => decodeItem({ ...item, changesGz: bomb })).toThrow(/not gzip'd JSON/);
  });
});

describe('fitDraft', () => {
  it('keeps a small change set as a list', () => {
    const d = draft(many(10));
    expect(fitDraft('prod', d)).toEqual({ draft: d, compress: false });
  });

  it('compresses a change set too large for one item', () => {
    const d = draft(many(3000));
    const plain = itemSize(encodeItem(sealRecord('prod', d, undefined), false));
    expect(plain).toBeGreaterThan(ITEM_LIMIT_BYTES);
    const fitted = fitDraft('prod', d);
    expect(fitted).toEqual({ draft: d, compress: true });
    expect(itemSize(encodeItem(sealRecord('prod', fitted.draft, undefined), true))).toBeLessThan(
      ITEM_LIMIT_BYTES,
    );
  });

  it('truncates what compression cannot fit, failures first, with the full count', () => {
    const changes = [...many(40_000), ...many(3, 'failed')];
    const fitted = fitDraft('prod', draft(changes));
    expect(fitted.compress).toBe(true);
    expect(fitted.draft.truncated).toBe(true);
    expect(fitted.draft.changeCount).toBe(40_003);
    expect(fitted.draft.counts.unchanged).toBe(40_003);
    expect(fitted.draft.changes.length).toBeGreaterThan(1000);
    expect(fitted.draft.changes.length).toBeLessThan(40_003);
    expect(fitted.draft.changes.slice(0, 3).map((c) => c.action)).toEqual(['failed', 'failed', 'failed']);
    // It fits, and does not waste the item: at least 80% of the limit is used.
    const size = itemSize(encodeItem(sealRecord('prod', fitted.draft, undefined), true));
    expect(size).toBeLessThanOrEqual(ITEM_LIMIT_BYTES);
    expect(size).toBeGreaterThan(ITEM_LIMIT_BYTES * 0.8);
  });
});
