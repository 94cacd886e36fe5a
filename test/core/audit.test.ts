import { createHash } from 'node:crypto';
import {
  type AuditDraft,
  type AuditRecord,
  canonicalJson,
  contentHash,
  draftFromSync,
  GENESIS_HASH,
  sealRecord,
  truncateChanges,
  verifyChain,
} from '../../lib/core/audit';
import type { KubeObject } from '../../lib/core/manifests';
import { Redactor } from '../../lib/core/redact';
import { countChanges, type SyncResult } from '../../lib/core/sync';

const KEY = 'per-cluster-hmac-key-0123456789';
const HASH_A = 'a'.repeat(64);

function draft(overrides: Partial<AuditDraft> = {}): AuditDraft {
  return {
    app: 'shop',
    commit: '0123456789abcdef0123456789abcdef01234567',
    trigger: 'webhook',
    deliveryId: 'd-1',
    outcome: 'succeeded',
    who: { author: 'Ada <ada@example.com>', principal: 'arn:aws:iam::123456789012:role/plumbline-prod' },
    ts: '2026-11-26T12:00:00.000Z',
    durationMs: 1234,
    changes: [{ id: 'apps/Deployment/shop/web', action: 'configured', contentHash: HASH_A }],
    counts: { created: 0, configured: 1, unchanged: 0, deleted: 0, skipped: 0, failed: 0 },
    ...overrides,
  };
}

function chain(length: number, cluster = 'prod'): AuditRecord[] {
  const out: AuditRecord[] = [];
  for (let i = 0; i < length; i++) out.push(sealRecord(cluster, draft({ deliveryId: `d-${i}` }), out.at(-1)));
  return out;
}

describe('canonicalJson', () => {
  it('sorts keys at every level and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { f: 1, e: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[3,{"e":2,"f":1}]},"b":1}',
    );
  });

  it('matches the RFC 8785 (JCS) example', () => {
    const input = JSON.parse(
      '{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],' +
        '"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}',
    );
    expect(canonicalJson(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('drops undefined members and writes -0 as 0', () => {
    expect(canonicalJson({ a: undefined, b: -0, c: [1.5] })).toBe('{"b":0,"c":[1.5]}');
  });

  it('sorts keys by UTF-16 code units', () => {
    expect(canonicalJson({ '\u{1F600}': 1, '\uFB33': 2, a: 3 })).toBe('{"a":3,"\u{1F600}":1,"\uFB33":2}');
  });

  it.each([
    ['NaN', { a: Number.NaN }, /\$\.a: NaN is not a finite number/],
    ['Infinity', [Number.POSITIVE_INFINITY], /\$\[0\]: Infinity/],
    ['undefined in an array', [1, undefined], /\$\[1\]: undefined in an array/],
    ['a bigint', { n: 1n }, /\$\.n: a bigint has no JSON form/],
    ['a Date', { t: new Date(0) }, /\$\.t: a Date has no JSON form/],
    ['a function', { f: () => 1 }, /a function has no JSON form/],
  ])('refuses %s', (_name, value, message) => {
    expect(() => canonicalJson(value)).toThrow(message);
  });

  it('refuses values nested deeper than 256 levels', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 300; i++) deep = [deep];
    expect(() => canonicalJson(deep)).toThrow(/nested deeper than 256 levels/);
  });
});

describe('sealRecord', () => {
  it('starts the chain at seq 1 on the genesis hash, and hashes prevHash + canonical JSON without hash', () => {
    const record = sealRecord('prod', draft(), undefined);
    expect(record.seq).toBe(1);
    expect(record.prevHash).toBe(GENESIS_HASH);
    expect(GENESIS_HASH).toBe('0'.repeat(64));
    const { hash, ...rest } = record;
    expect(hash).toBe(
      createHash('sha256')
        .update(GENESIS_HASH + canonicalJson(rest))
        .digest('hex'),
    );
    expect(rest.cluster).toBe('prod');
  });

  it('chains the next record onto the head', () => {
    const [first, second] = chain(2);
    expect(second?.seq).toBe(2);
    expect(second?.prevHash).toBe(first?.hash);
    expect(second?.hash).not.toBe(first?.hash);
  });

  it('keeps only the record fields, normalises ts and cuts long reasons', () => {
    const extra = { ...draft({ ts: '2026-11-26T13:00:00+01:00' }), secretValue: 'hunter22' } as AuditDraft;
    const long = 'x'.repeat(5000);
    const record = sealRecord(
      'prod',
      { ...extra, changes: [{ id: '/ConfigMap/shop/c', action: 'failed', reason: long }] },
      undefined,
    );
    expect(JSON.stringify(record)).not.toContain('hunter22');
    expect(record.ts).toBe('2026-11-26T12:00:00.000Z');
    expect(record.changes[0]?.reason).toHaveLength(1024);
  });

  it.each([
    ['an empty app', { app: '' }, /app must be a non-empty string/],
    ['an unknown trigger', { trigger: 'cron' as never }, /unknown trigger "cron"/],
    ['an unknown outcome', { outcome: 'ok' as never }, /unknown outcome "ok"/],
    [
      'an unknown failure kind',
      { outcome: 'failed' as const, failure: 'sometimes' as never },
      /unknown failure "sometimes"/,
    ],
    ['a bad ts', { ts: 'yesterday' }, /ts "yesterday" is not an ISO time/],
    ['a negative duration', { durationMs: -1 }, /durationMs must be a non-negative integer/],
    ['a bad object id', { changes: [{ id: 'web', action: 'created' as const }] }, /invalid object id "web"/],
    [
      'a content hash that is not sha256 hex',
      { changes: [{ id: '/ConfigMap/shop/c', action: 'created' as const, contentHash: 'hunter22' }] },
      /contentHash is not sha256 hex/,
    ],
  ])('refuses a draft with %s', (_name, overrides, message) => {
    expect(() => sealRecord('prod', draft(overrides), undefined)).toThrow(message);
  });

  it('keeps failure and reason, and hashes a record without them as before they existed', () => {
    const failed = sealRecord(
      'prod',
      draft({ outcome: 'failed', failure: 'transient', error: 'e' }),
      undefined,
    );
    expect(failed).toMatchObject({ outcome: 'failed', failure: 'transient' });
    const stale = sealRecord(
      'prod',
      draft({ outcome: 'stale', reason: 'x'.repeat(2000), changes: [] }),
      undefined,
    );
    expect(stale.reason).toHaveLength(1024);
    const plain = Object.keys(JSON.parse(canonicalJson(sealRecord('prod', draft(), undefined))) as object);
    expect(plain).not.toContain('failure');
    expect(plain).not.toContain('reason');
  });

  it('refuses a cluster name that could be confused in a key', () => {
    expect(() => sealRecord('a#b', draft(), undefined)).toThrow(/invalid cluster name "a#b"/);
  });
});

describe('verifyChain', () => {
  it('accepts an empty chain and a valid one, reporting the head', () => {
    expect(verifyChain([])).toEqual({ ok: true, count: 0 });
    const records = chain(5);
    expect(verifyChain(records)).toEqual({ ok: true, count: 5, head: { seq: 5, hash: records[4]?.hash } });
  });

  it('names an edited record', () => {
    const records = chain(5);
    records[2] = { ...records[2]!, outcome: 'failed' };
    expect(verifyChain(records)).toMatchObject({
      ok: false,
      count: 2,
      broken: { seq: 3, reason: 'hash-mismatch' },
    });
  });

  it('names a deleted record as a gap', () => {
    const records = chain(5);
    records.splice(1, 1);
    expect(verifyChain(records)).toMatchObject({
      ok: false,
      broken: { seq: 2, reason: 'gap', message: 'seq 2 is missing (the next record is seq 3)' },
    });
  });

  it('names the record after one replaced by a re-hashed forgery', () => {
    const records = chain(5);
    records[1] = sealRecord('prod', draft({ outcome: 'failed' }), records[0]);
    expect(verifyChain(records)).toMatchObject({
      ok: false,
      broken: { seq: 3, reason: 'prev-hash-mismatch' },
    });
  });

  it('names reordered records', () => {
    const records = chain(4);
    [records[1], records[2]] = [records[2]!, records[1]!];
    expect(verifyChain(records)).toMatchObject({ ok: false, broken: { seq: 2, reason: 'gap' } });
  });

  it('names a chain whose first records were removed', () => {
    expect(verifyChain(chain(3).slice(1))).toMatchObject({ ok: false, broken: { seq: 1, reason: 'gap' } });
  });
});

describe('contentHash', () => {
  const secret = (password: string): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'db', namespace: 'shop' },
    stringData: { password },
    data: { user: Buffer.from('admin').toString('base64') },
  });

  it('does not depend on key order', () => {
    const a = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { x: '1', y: '2' } };
    const b = { data: { y: '2', x: '1' }, metadata: { name: 'c' }, kind: 'ConfigMap', apiVersion: 'v1' };
    expect(contentHash(a, KEY)).toBe(contentHash(b, KEY));
    expect(contentHash(a, KEY)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes when a secret value changes, and depends on the HMAC key only for secrets', () => {
    expect(contentHash(secret('hunter22'), KEY)).not.toBe(contentHash(secret('hunter23'), KEY));
    expect(contentHash(secret('hunter22'), KEY)).not.toBe(contentHash(secret('hunter22'), 'another-key'));
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { password: 'x' } };
    expect(contentHash(cm, KEY)).toBe(contentHash(cm, 'another-key'));
  });

  it('cannot be recomputed from a guessed secret value without the key', () => {
    const plain = createHash('sha256')
      .update(canonicalJson(secret('hunter22')))
      .digest('hex');
    expect(contentHash(secret('hunter22'), KEY)).not.toBe(plain);
  });

  it('treats a custom resource named Secret as an ordinary object', () => {
    const cr = { ...secret('hunter22'), apiVersion: 'example.com/v1' };
    expect(contentHash(cr, KEY)).toBe(contentHash(cr, 'another-key'));
  });

  it('refuses an empty key', () => {
    expect(() => contentHash(secret('x'), '')).toThrow(/the HMAC key is empty/);
  });
});

describe('draftFromSync', () => {
  const secret: KubeObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'db', namespace: 'shop' },
    stringData: { password: 's3cr3t-value' },
  };
  const changes: SyncResult['changes'] = [
    {
      id: { group: '', kind: 'Secret', namespace: 'shop', name: 'db' },
      subject: 'Secret/shop/db',
      action: 'created',
    },
    {
      id: { group: 'apps', kind: 'Deployment', namespace: 'shop', name: 'web' },
      subject: 'Deployment/shop/web',
      action: 'failed',
      reason: 'admission webhook denied: password s3cr3t-value is weak',
    },
    {
      id: { group: '', kind: 'ConfigMap', namespace: 'shop', name: 'old' },
      subject: 'ConfigMap/shop/old',
      action: 'deleted',
    },
  ];
  const result: SyncResult = {
    app: 'shop',
    revision: '0123456789abcdef0123456789abcdef01234567',
    changes,
    counts: countChanges(changes),
    durationMs: 42,
    unhealthy: [],
    ok: false,
  };

  it('keeps ids, actions, counts and content hashes, and never a secret value', () => {
    const redactor = new Redactor();
    redactor.register('s3cr3t-value');
    const hashes = new Map([
      ['/Secret/shop/db', contentHash(secret, KEY)],
      ['/ConfigMap/shop/old', HASH_A],
    ]);
    const d = draftFromSync(result, {
      trigger: 'webhook',
      deliveryId: 'd-9',
      contentHashes: hashes,
      redactor,
    });
    expect(d).toMatchObject({ app: 'shop', commit: result.revision, outcome: 'failed', durationMs: 42 });
    expect(d.counts).toEqual({ created: 1, configured: 0, unchanged: 0, deleted: 1, skipped: 0, failed: 1 });
    expect(d.changes).toEqual([
      { id: '/Secret/shop/db', action: 'created', contentHash: hashes.get('/Secret/shop/db') },
      {
        id: 'apps/Deployment/shop/web',
        action: 'failed',
        reason: 'admission webhook denied: password *** is weak',
      },
      { id: '/ConfigMap/shop/old', action: 'deleted' },
    ]);
    expect(JSON.stringify(sealRecord('prod', d, undefined))).not.toContain('s3cr3t');
  });

  it('maps a sync still waiting for health to progressing and a clean one to succeeded', () => {
    const clean = { ...result, changes: [], counts: countChanges([]), ok: true };
    expect(draftFromSync(clean, { trigger: 'manual' }).outcome).toBe('succeeded');
    const waiting = {
      ...clean,
      ok: false,
      unhealthy: [{ subject: 'x', status: 'Progressing', message: '' }],
    };
    expect(draftFromSync(waiting, { trigger: 'schedule' }).outcome).toBe('progressing');
  });
});

describe('truncateChanges', () => {
  it('keeps failures and changes before unchanged entries and records the full count', () => {
    const d = draft({
      changes: [
        { id: '/ConfigMap/shop/a', action: 'unchanged' },
        { id: '/ConfigMap/shop/b', action: 'created' },
        { id: '/ConfigMap/shop/c', action: 'failed', reason: 'no' },
      ],
    });
    const cut = truncateChanges(d, 2);
    expect(cut.changes.map((c) => c.id)).toEqual(['/ConfigMap/shop/c', '/ConfigMap/shop/b']);
    expect(cut).toMatchObject({ truncated: true, changeCount: 3, counts: d.counts });
  });
});

describe('contentHash of unquoted Secret values', () => {
  it('digests numbers with the key too, so a PIN cannot be found by guessing', () => {
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'pin' }, stringData: { pin: 4821 } };
    expect(contentHash(secret, 'key-one')).not.toBe(contentHash(secret, 'key-two'));
  });
});
