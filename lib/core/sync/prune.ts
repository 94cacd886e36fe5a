import { formatId, type KubeObject, type ObjectId, subjectOf } from '../manifests';
import { deleteOrder, kindRank } from '../order';
import type { Redactor } from '../redact';
import type { Change } from './changeset';
import { mapPool } from './pool';
import { ClusterApiError, type ClusterPort, type ResourceInfo } from './ports';
import { crdBlockers, namespaceBlockers, ownerKinds, type PruneDecision } from './prune-plan';

export interface PruneResult {
  readonly changes: Change[];
  /** Ids that leave the inventory: deleted, already gone, or opted out of prune. */
  readonly removed: Set<string>;
}

export interface PruneContext {
  readonly cluster: ClusterPort;
  readonly dryRun: boolean;
  readonly concurrency: number;
  readonly redactor: Redactor;
}

/** Names a few of the objects that keep a namespace. */
function blockerList(objects: readonly { kind: string; metadata: { name: string } }[]): string {
  const shown = objects.slice(0, 3).map((o) => `${o.kind}/${o.metadata.name}`);
  return objects.length > 3 ? `${shown.join(', ')} and ${objects.length - 3} more` : shown.join(', ');
}

/** `Kind/namespace/name` (or `Kind/name`) to name an object of a CRD's kind. */
function withPlace(object: KubeObject): { kind: string; metadata: { name: string } } {
  const { namespace, name } = object.metadata;
  return { kind: object.kind, metadata: { name: namespace ? `${namespace}/${name}` : name } };
}

/** Every object of the kind a live CRD defines, in all namespaces (none when the CRD or its kind is gone). */
async function objectsOfCrd(cluster: ClusterPort, crds: ResourceInfo, name: string): Promise<KubeObject[]> {
  const crd = await cluster.get(crds, '', name);
  const spec = (crd?.spec ?? {}) as { group?: unknown; names?: { kind?: unknown } };
  if (typeof spec.group !== 'string' || typeof spec.names?.kind !== 'string') return [];
  const resource = await cluster.resourceFor(spec.group, spec.names.kind);
  return resource ? cluster.list(resource, undefined, '') : [];
}

/**
 * Carries out a prune plan (prune-plan.ts) in reverse apply order, one kind rank after another.
 * Called only when every apply succeeded. A Namespace is deleted only when it holds nothing but
 * what this prune deletes: one list per namespaced kind, read just before its delete.
 */
export async function pruneObjects(
  ctx: PruneContext,
  decisions: readonly PruneDecision[],
): Promise<PruneResult> {
  const changes: Change[] = [];
  const removed = new Set<string>();
  const deleting = new Set<string>();
  const uids = new Map<string, string>();
  for (const d of decisions) {
    if (d.action === 'delete') deleting.add(formatId(d.id));
    if (d.action === 'delete' && d.uid) uids.set(formatId(d.id), d.uid);
    if (d.action === 'forget') {
      removed.add(formatId(d.id));
      if (d.reason) changes.push({ id: d.id, subject: subjectOf(d.id), action: 'skipped', reason: d.reason });
    }
    if (d.action === 'keep')
      changes.push({ id: d.id, subject: subjectOf(d.id), action: 'skipped', reason: d.reason });
  }
  const candidates = deleteOrder(decisions.flatMap((d) => (d.action === 'delete' ? [d.id] : [])));
  const groups: ObjectId[][] = [];
  for (const id of candidates) {
    const last = groups[groups.length - 1];
    if (last?.[0] && kindRank(last[0].group, last[0].kind) === kindRank(id.group, id.kind)) last.push(id);
    else groups.push([id]);
  }
  for (const group of groups) {
    const results = await mapPool(group, ctx.concurrency, async (id): Promise<Change | undefined> => {
      const subject = subjectOf(id);
      const resource = await ctx.cluster.resourceFor(id.group, id.kind);
      if (!resource) {
        removed.add(formatId(id)); // the kind itself is gone, and its objects with it
        return undefined;
      }
      if (id.group === '' && id.kind === 'Namespace') {
        const objects = await ctx.cluster.listNamespace(id.name);
        // Objects owned from outside the namespace (a cluster-scoped owner) are not judged by an owner in it.
        const clusterScoped = new Set<string>();
        for (const owner of ownerKinds(objects)) {
          const resource = await ctx.cluster.resourceFor(owner.group, owner.kind);
          if (resource && !resource.namespaced) clusterScoped.add(`${owner.group}/${owner.kind}`);
        }
        const blockers = namespaceBlockers(objects, deleting, clusterScoped);
        if (blockers.length > 0)
          return {
            id,
            subject,
            action: 'skipped',
            reason: `not pruned: the namespace holds ${blockers.length} object(s) outside this prune (${blockerList(blockers)})`,
          };
      }
      if (id.group === 'apiextensions.k8s.io' && id.kind === 'CustomResourceDefinition') {
        const blockers = crdBlockers(await objectsOfCrd(ctx.cluster, resource, id.name), deleting);
        if (blockers.length > 0)
          return {
            id,
            subject,
            action: 'skipped',
            reason: `not pruned: ${blockers.length} object(s) of its kind are outside this prune (${blockerList(blockers.map(withPlace))})`,
          };
      }
      const uid = uids.get(formatId(id));
      try {
        await ctx.cluster.remove(resource, id.namespace, id.name, {
          dryRun: ctx.dryRun,
          ...(uid ? { uid } : {}),
        });
      } catch (err: unknown) {
        // 409: the uid precondition failed, so the name now holds another object than the one read.
        if (!(err instanceof ClusterApiError && err.code === 409)) throw err;
        return {
          id,
          subject,
          action: 'skipped',
          reason: 'not pruned: another object took its name since it was read; the next sync looks again',
        };
      }
      removed.add(formatId(id));
      return { id, subject, action: 'deleted', reason: 'no longer in Git' };
    });
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') {
        if (r.value) changes.push(r.value);
        return;
      }
      const id = group[i]!;
      const message = r.reason instanceof Error ? r.reason.message : String(r.reason);
      changes.push({
        id,
        subject: subjectOf(id),
        action: 'failed',
        reason: `prune: ${ctx.redactor.redact(message)}`,
      });
    });
  }
  return { changes, removed };
}
