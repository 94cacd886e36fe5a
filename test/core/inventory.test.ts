import fc from 'fast-check';
import {
  decodeInventory,
  encodeInventory,
  type Inventory,
  InventoryError,
  pruneCandidates,
} from '../../lib/core/inventory';
import { formatId, type ObjectId } from '../../lib/core/manifests';

const id = (group: string, kind: string, namespace: string, name: string): ObjectId => ({
  group,
  kind,
  namespace,
  name,
});

const ns = id('', 'Namespace', '', 'shop');
const cm = id('', 'ConfigMap', 'shop', 'settings');
const deploy = id('apps', 'Deployment', 'shop', 'web');
const role = id('rbac.authorization.k8s.io', 'ClusterRole', '', 'system:shop-reader');

describe('pruneCandidates', () => {
  it('returns the previous ids the desired set no longer has, in delete order', () => {
    expect(pruneCandidates([ns, cm, deploy, role], [cm])).toEqual([deploy, role, ns]);
  });

  it('matches ids by value, not by reference', () => {
    expect(pruneCandidates([{ ...cm }], [{ ...cm }])).toEqual([]);
  });

  it('returns each id once even when the previous inventory repeats it', () => {
    expect(pruneCandidates([deploy, { ...deploy }, cm], [])).toEqual([deploy, cm]);
  });

  it('prunes nothing when nothing was applied before', () => {
    expect(pruneCandidates([], [cm, deploy])).toEqual([]);
  });
});

const created = (ids: readonly ObjectId[]): Inventory => ({
  entries: ids.map((i) => ({ id: i, origin: 'created' as const })),
});

describe('encodeInventory', () => {
  it('writes sorted, deduplicated ids one a line with their origin, version 3', () => {
    expect(
      encodeInventory({
        entries: [
          { id: deploy, origin: 'created' },
          { id: cm, origin: 'adopted' },
          { id: role, origin: 'pending', since: '2026-12-07T08:00:00.000Z' },
          { id: cm, origin: 'adopted' },
        ],
      }),
    ).toEqual({
      objects:
        '/ConfigMap/shop/settings adopted\napps/Deployment/shop/web created\nrbac.authorization.k8s.io/ClusterRole//system:shop-reader pending 2026-12-07T08:00:00.000Z',
      version: '3',
    });
  });

  it('writes an empty objects value for an empty inventory, and a lease as JSON', () => {
    expect(encodeInventory({ entries: [] })).toEqual({ objects: '', version: '3' });
    expect(
      encodeInventory({ entries: [], lease: { holder: 'a-1', until: '2026-12-07T08:15:00.000Z' } }).lease,
    ).toBe('{"holder":"a-1","until":"2026-12-07T08:15:00.000Z"}');
  });

  it('refuses an id that would not read back as the same id, and a pending id without a time', () => {
    expect(() => encodeInventory(created([id('', 'ConfigMap', 'shop', 'a/b')]))).toThrow(InventoryError);
    expect(() => encodeInventory(created([id('', 'ConfigMap', 'shop', 'a\nb')]))).toThrow(InventoryError);
    expect(() => encodeInventory(created([id('', '', 'shop', 'a')]))).toThrow(InventoryError);
    expect(() => encodeInventory({ entries: [{ id: cm, origin: 'pending' }] })).toThrow(InventoryError);
  });
});

describe('decodeInventory', () => {
  it('reads a version 1 inventory, each id counted as created (prunable, as before)', () => {
    expect(
      decodeInventory({ version: '1', objects: '/ConfigMap/shop/settings\napps/Deployment/shop/web' }),
    ).toEqual(created([cm, deploy]));
  });

  it('reads a version 3 inventory with origins and its lease', () => {
    expect(
      decodeInventory({
        version: '3',
        objects: '/ConfigMap/shop/settings adopted\napps/Deployment/shop/web pending 2026-12-07T08:00:00Z',
        lease: '{"holder":"h","until":"2026-12-07T08:15:00Z"}',
      }),
    ).toEqual({
      entries: [
        { id: cm, origin: 'adopted' },
        { id: deploy, origin: 'pending', since: '2026-12-07T08:00:00Z' },
      ],
      lease: { holder: 'h', until: '2026-12-07T08:15:00Z' },
    });
  });

  it('reads an empty inventory and tolerates one trailing newline', () => {
    expect(decodeInventory({ version: '1', objects: '' })).toEqual({ entries: [] });
    expect(decodeInventory({ version: '1', objects: 'apps/Deployment/shop/web\n' })).toEqual(
      created([deploy]),
    );
  });

  it('ignores keys the version does not define', () => {
    expect(decodeInventory({ version: '1', objects: '', note: 'hi' })).toEqual({ entries: [] });
  });

  it.each([
    ['not an object', 'text', /not an object/],
    ['an array', [], /not an object/],
    ['an unknown version', { version: '2', objects: '' }, /unsupported inventory version "2"/],
    ['a later version', { version: '4', objects: '' }, /unsupported inventory version "4"/],
    ['an unknown origin', { version: '3', objects: '/ConfigMap/a/b owned' }, /line 1: want "<id> created/],
    ['a version 3 line without origin', { version: '3', objects: '/ConfigMap/a/b' }, /line 1: want/],
    ['a pending id without time', { version: '3', objects: '/ConfigMap/a/b pending' }, /needs the ISO time/],
    [
      'a time on a created id',
      { version: '3', objects: '/ConfigMap/a/b created 2026-12-07T08:00:00Z' },
      /only a pending/,
    ],
    ['a malformed lease', { version: '3', objects: '', lease: '{"holder":1}' }, /lease wants/],
    ['a numeric version', { version: 1, objects: '' }, /unsupported inventory version 1/],
    ['no version', { objects: '' }, /unsupported inventory version undefined/],
    ['no objects', { version: '1' }, /no string "objects"/],
    [
      'a malformed line',
      { version: '1', objects: 'apps/Deployment/web' },
      /line 1: malformed object id "apps\/Deployment\/web"/,
    ],
    ['a blank line', { version: '1', objects: '/ConfigMap/a/b\n\n/ConfigMap/a/c' }, /line 2: malformed/],
    [
      'a CRLF line ending',
      { version: '1', objects: '/ConfigMap/a/b\r\n/ConfigMap/a/c' },
      /line 1: malformed/,
    ],
    ['an upper-case group', { version: '1', objects: 'Apps/Deployment/a/b' }, /line 1: malformed/],
    [
      'a duplicate id',
      { version: '1', objects: '/ConfigMap/a/b\n/ConfigMap/a/b' },
      /line 2: duplicate object id/,
    ],
  ])('throws InventoryError for %s', (_what, data, message) => {
    expect(() => decodeInventory(data)).toThrow(InventoryError);
    expect(() => decodeInventory(data)).toThrow(message);
  });

  it('quotes at most the start of a long malformed line, so the error stays one short line', () => {
    for (const objects of ['x'.repeat(500_000), `/ConfigMap/a/b ${'y'.repeat(500_000)}`]) {
      const message = (() => {
        try {
          decodeInventory({ version: '3', objects });
          return '';
        } catch (error: unknown) {
          return (error as Error).message;
        }
      })();
      expect(message).toMatch(/^inventory line 1: .*\(500,0\d\d characters\)/);
      expect(message.length).toBeLessThan(400);
    }
  });

  it('keeps the parse error as the cause of a malformed id', () => {
    try {
      decodeInventory({ version: '1', objects: 'nonsense' });
      throw new Error('decodeInventory did not throw');
    } catch (error: unknown) {
      expect(error).toBeInstanceOf(InventoryError);
      expect((error as InventoryError).cause).toBeInstanceOf(Error);
    }
  });
});

const dnsLabel = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?$/);
const objectIdArb: fc.Arbitrary<ObjectId> = fc.record({
  group: fc.constantFrom('', 'apps', 'rbac.authorization.k8s.io', 'example.com'),
  kind: fc.constantFrom('ConfigMap', 'Deployment', 'ClusterRole', 'Widget'),
  namespace: fc.oneof(fc.constant(''), dnsLabel),
  name: fc.oneof(dnsLabel, fc.stringMatching(/^[a-z]+:[a-z.-]{1,8}$/)),
});
// Small pools so previous and desired overlap often.
const pool = fc.array(objectIdArb, { minLength: 1, maxLength: 8 });
const pair = pool.chain((ids) =>
  fc.tuple(
    fc.array(fc.constantFrom(...ids), { maxLength: 12 }),
    fc.array(fc.constantFrom(...ids), { maxLength: 12 }),
  ),
);

describe('inventory properties', () => {
  it('pruneCandidates never returns a desired id and only returns previous ids, each once', () => {
    fc.assert(
      fc.property(pair, ([previous, desired]) => {
        const out = pruneCandidates(previous, desired).map(formatId);
        const desiredSet = new Set(desired.map(formatId));
        const previousSet = new Set(previous.map(formatId));
        for (const text of out) {
          expect(desiredSet.has(text)).toBe(false);
          expect(previousSet.has(text)).toBe(true);
        }
        expect(new Set(out).size).toBe(out.length);
        // And it misses nothing: every previous id not desired is a candidate.
        expect(out.length).toBe([...previousSet].filter((text) => !desiredSet.has(text)).length);
      }),
    );
  });

  it('decodeInventory(encodeInventory(inventory)) holds each id once, sorted, with its last origin', () => {
    const entryArb = fc.record({
      id: objectIdArb,
      origin: fc.constantFrom('created' as const, 'adopted' as const, 'pending' as const),
    });
    fc.assert(
      fc.property(fc.array(entryArb, { maxLength: 20 }), (raw) => {
        const inventory: Inventory = {
          entries: raw.map((e) => (e.origin === 'pending' ? { ...e, since: '2026-12-07T08:00:00.000Z' } : e)),
        };
        const decoded = decodeInventory(encodeInventory(inventory));
        const last = new Map(inventory.entries.map((e) => [formatId(e.id), e.origin]));
        const expected = [...last.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        expect(decoded.entries.map((e) => formatId(e.id))).toEqual(expected);
        for (const e of decoded.entries) expect(e.origin).toBe(last.get(formatId(e.id)));
        expect(encodeInventory(decoded)).toEqual(encodeInventory(inventory));
      }),
    );
  });
});
