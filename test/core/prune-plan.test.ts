import fc from 'fast-check';
import {
  CLOCK_SKEW_MS,
  confirmOf,
  createdUnderIntent,
  type Inventory,
  type InventoryEntry,
  intentOf,
  LEASE_MS,
  resolvePending,
} from '../../lib/core/inventory';
import { formatId, type KubeObject, type ObjectId } from '../../lib/core/manifests';
import type { ChangeAction } from '../../lib/core/sync';
import { namespaceBlockers, outsideAllowList, planPrune } from '../../lib/core/sync/prune-plan';

const idArb: fc.Arbitrary<ObjectId> = fc.record({
  group: fc.constantFrom('', 'apps', 'example.com'),
  kind: fc.constantFrom('ConfigMap', 'Deployment', 'Namespace', 'Widget'),
  namespace: fc.constantFrom('', 'a', 'b', 'c'),
  name: fc.constantFrom('x', 'y', 'z', 'w'),
});
const uniqueIds = fc.uniqueArray(idArb, { selector: formatId, maxLength: 12 });
const originArb = fc.constantFrom('created' as const, 'adopted' as const);
const live = (id: ObjectId, annotations: Record<string, string> = {}): KubeObject => ({
  apiVersion: id.group ? `${id.group}/v1` : 'v1',
  kind: id.kind,
  metadata: { name: id.name, ...(id.namespace ? { namespace: id.namespace } : {}), annotations },
});

describe('planPrune', () => {
  const rulesArb = fc.record({
    prune: fc.boolean(),
    pruneAdopted: fc.boolean(),
    maxShare: fc.constantFrom(0.25, 0.5, 1),
    force: fc.boolean(),
    allow: fc.constant({ clusterScoped: true }),
  });

  it('deletes only live, created (or, when asked, adopted) ids, within the share unless forced; every kept id says why', () => {
    fc.assert(
      fc.property(
        uniqueIds.chain((ids) =>
          fc.tuple(
            fc.constant(ids),
            fc.array(originArb, { minLength: ids.length, maxLength: ids.length }),
            fc.array(fc.constantFrom('live', 'gone', 'disabled'), {
              minLength: ids.length,
              maxLength: ids.length,
            }),
            fc.nat({ max: 10 }),
          ),
        ),
        rulesArb,
        ([ids, origins, states, extra], rules) => {
          const entries: InventoryEntry[] = ids.map((id, i) => ({ id, origin: origins[i]! }));
          const state = new Map(ids.map((id, i) => [formatId(id), states[i]]));
          const size = ids.length + extra;
          const decisions = planPrune(
            entries,
            size,
            (id) => {
              const s = state.get(formatId(id));
              return s === 'gone'
                ? undefined
                : live(id, s === 'disabled' ? { 'plumbline.dev/prune': 'disabled' } : {});
            },
            rules,
          );
          expect(decisions.map((d) => formatId(d.id))).toEqual(ids.map(formatId));
          const deletes = decisions.filter((d) => d.action === 'delete');
          for (const [i, d] of decisions.entries()) {
            const s = states[i];
            if (d.action === 'delete') {
              expect(s).toBe('live');
              expect(rules.prune).toBe(true);
              if (origins[i] === 'adopted') expect(rules.pruneAdopted).toBe(true);
            }
            if (d.action === 'keep') expect(d.reason).toMatch(/\S/);
            if (s === 'gone') expect(d.action).toBe('forget');
          }
          if (!rules.force) expect(deletes.length).toBeLessThanOrEqual(rules.maxShare * size);
        },
      ),
    );
  });

  it('never deletes a pending id', () => {
    const id: ObjectId = { group: '', kind: 'ConfigMap', namespace: 'a', name: 'x' };
    const [d] = planPrune([{ id, origin: 'pending', since: '2026-12-07T08:00:00Z' }], 1, () => live(id), {
      prune: true,
      pruneAdopted: true,
      maxShare: 1,
      force: true,
      allow: { clusterScoped: true },
    });
    expect(d?.action).toBe('keep');
  });
});

describe('outsideAllowList', () => {
  it('allows exactly what an apply may touch: allowed namespaces, cluster-scoped kinds when allowed, no denied kind', () => {
    fc.assert(
      fc.property(
        idArb,
        fc.option(fc.subarray(['a', 'b', 'c']), { nil: undefined }),
        fc.boolean(),
        fc.subarray(['Widget', 'Deployment.apps']),
        (id, namespaces, clusterScoped, deniedKinds) => {
          const reason = outsideAllowList(id, {
            ...(namespaces ? { namespaces } : {}),
            clusterScoped,
            deniedKinds,
          });
          const kind = id.group ? `${id.kind}.${id.group}` : id.kind;
          const denied = deniedKinds.includes(id.kind) || deniedKinds.includes(kind);
          const inNamespace = id.namespace !== '' && (!namespaces || namespaces.includes(id.namespace));
          const ownNamespace =
            id.group === '' && id.kind === 'Namespace' && namespaces?.includes(id.name) === true;
          const clusterOk = id.namespace === '' && (clusterScoped || ownNamespace);
          expect(reason === undefined).toBe(!denied && (inNamespace || clusterOk));
        },
      ),
    );
  });
});

describe('namespaceBlockers', () => {
  const obj = (kind: string, name: string, extra: Record<string, unknown> = {}): KubeObject => ({
    apiVersion: 'v1',
    kind,
    metadata: { name, namespace: 'n', ...extra },
  });
  it('counts what prune does not delete, except what the cluster makes and what another object owns', () => {
    const blockers = namespaceBlockers(
      [
        obj('ConfigMap', 'ours'),
        obj('ConfigMap', 'theirs'),
        obj('ConfigMap', 'kube-root-ca.crt'),
        obj('ServiceAccount', 'default'),
        obj('Event', 'e1'),
        obj('Pod', 'web-1', { ownerReferences: [{ uid: 'u', kind: 'ReplicaSet', name: 'web' }] }),
        obj('Secret', 'plumbline-inventory-other'),
        { ...obj('PodMetrics', 'web-1'), apiVersion: 'metrics.k8s.io/v1beta1' },
      ],
      new Set(['/ConfigMap/n/ours']),
    );
    expect(blockers.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'ConfigMap/theirs',
      'Secret/plumbline-inventory-other',
    ]);
  });

  it('counts an object owned from outside the namespace, unless the prune deletes that owner too', () => {
    const ownedBy = (name: string, owner: string): KubeObject =>
      obj('ConfigMap', name, {
        ownerReferences: [
          { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: owner, uid: 'u' },
        ],
      });
    const blockers = namespaceBlockers(
      [ownedBy('kept-owner', 'theirs'), ownedBy('pruned-owner', 'ours')],
      new Set(['rbac.authorization.k8s.io/ClusterRole//ours']),
      new Set(['rbac.authorization.k8s.io/ClusterRole']),
    );
    expect(blockers.map((o) => o.metadata.name)).toEqual(['kept-owner']);
  });
});

describe('inventory lifecycle', () => {
  const since = '2026-12-07T08:00:00.500Z';
  const at = Date.parse(since);
  const lease = { holder: 'h', until: new Date(at + LEASE_MS).toISOString() };
  const stamp = (ms: number): string => `${new Date(ms).toISOString().slice(0, 19)}Z`;

  it('confirms created ids as created and new ids that existed as adopted, and loses no id it did not prune', () => {
    const actions: ChangeAction[] = ['created', 'configured', 'unchanged', 'failed', 'skipped'];
    fc.assert(
      fc.property(
        uniqueIds.chain((ids) =>
          fc.tuple(
            fc.constant(ids),
            fc.array(fc.boolean(), { minLength: ids.length, maxLength: ids.length }),
            fc.array(originArb, { minLength: ids.length, maxLength: ids.length }),
            fc.array(fc.boolean(), { minLength: ids.length, maxLength: ids.length }),
            fc.array(fc.constantFrom(...actions), { minLength: ids.length, maxLength: ids.length }),
            fc.array(fc.boolean(), { minLength: ids.length, maxLength: ids.length }),
          ),
        ),
        ([ids, inPrevious, origins, labelledLive, outcomes, pruned]) => {
          const previous: Inventory = {
            entries: ids.flatMap((id, i) => (inPrevious[i] ? [{ id, origin: origins[i]! }] : [])),
          };
          const live = new Set(ids.filter((_, i) => labelledLive[i]).map(formatId));
          const desired = ids.filter((_, i) => !inPrevious[i] || !pruned[i]);
          const { inventory: intent } = intentOf(
            previous,
            desired,
            (id) => live.has(formatId(id)),
            since,
            lease,
          );
          const outcome = new Map(ids.map((id, i) => [formatId(id), outcomes[i]!]));
          const removed = new Set(ids.filter((_, i) => inPrevious[i] && pruned[i]).map(formatId));
          const confirmed = confirmOf(intent, outcome, removed);
          const byId = new Map(confirmed.entries.map((e) => [formatId(e.id), e]));
          expect(confirmed.lease).toBeUndefined();
          for (const [i, id] of ids.entries()) {
            const key = formatId(id);
            const entry = byId.get(key);
            if (removed.has(key)) expect(entry).toBeUndefined();
            else if (inPrevious[i]) expect(entry).toBeDefined();
            if (outcome.get(key) === 'created' && !removed.has(key)) expect(entry?.origin).toBe('created');
            if (!inPrevious[i] && (outcomes[i] === 'configured' || outcomes[i] === 'unchanged'))
              expect(entry?.origin).toBe('adopted');
            if (!inPrevious[i] && labelledLive[i] && outcomes[i] !== 'created')
              expect(entry?.origin).not.toBe('created');
          }
        },
      ),
    );
  });

  it('after a crash, an object created under the intent stays prunable and one that existed before never becomes so', () => {
    fc.assert(
      fc.property(
        // Server clock within the tolerated skew of the writer's; creation at any time in the run.
        fc.integer({ min: -(CLOCK_SKEW_MS - 1), max: CLOCK_SKEW_MS - 1 }),
        fc.integer({ min: 0, max: LEASE_MS }),
        fc.integer({ min: CLOCK_SKEW_MS + 1000, max: 30 * 86_400_000 }),
        (skew, after, before) => {
          expect(createdUnderIntent(stamp(at + after + skew), since)).toBe(true);
          expect(createdUnderIntent(stamp(at - before), since)).toBe(false);
        },
      ),
    );
  });

  it('resolves pending ids by creation time, and drops those no longer live', () => {
    const id = (name: string): ObjectId => ({ group: '', kind: 'ConfigMap', namespace: 'a', name });
    const resolved = resolvePending(
      {
        entries: [
          { id: id('made'), origin: 'pending', since },
          { id: id('older'), origin: 'pending', since },
          { id: id('gone'), origin: 'pending', since },
          { id: id('kept'), origin: 'adopted' },
        ],
        lease,
      },
      (i) =>
        i.name === 'made'
          ? { creationTimestamp: stamp(at + 1000) }
          : i.name === 'older'
            ? { creationTimestamp: stamp(at - 3600_000) }
            : i.name === 'kept'
              ? {}
              : undefined,
    );
    expect(resolved).toEqual({
      entries: [
        { id: id('made'), origin: 'created' },
        { id: id('older'), origin: 'adopted' },
        { id: id('kept'), origin: 'adopted' },
      ],
    });
  });
});
