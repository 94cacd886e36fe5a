import { pruneCandidates } from '../inventory';
import { type ObjectId, PRUNE_ANNOTATION, subjectOf } from '../manifests';
import { deleteOrder, kindRank } from '../order';
import type { Redactor } from '../redact';
import type { Change } from './changeset';
import type { LiveState } from './live';
import { mapPool } from './pool';
import type { ClusterPort } from './ports';

export interface PruneResult {
  readonly changes: Change[];
  /** Ids that stay in the inventory: not pruned now (prune off, or a delete failed). */
  readonly kept: ObjectId[];
}

export interface PruneContext {
  readonly cluster: ClusterPort;
  readonly live: LiveState;
  readonly prune: boolean;
  readonly dryRun: boolean;
  readonly concurrency: number;
  readonly redactor: Redactor;
}

/**
 * Deletes what the previous inventory holds and Git no longer declares, in reverse apply order
 * (one kind rank after another). Called only when every apply succeeded.
 */
export async function pruneObjects(
  ctx: PruneContext,
  previous: readonly ObjectId[],
  desired: readonly ObjectId[],
): Promise<PruneResult> {
  const changes: Change[] = [];
  const kept: ObjectId[] = [];
  const candidates = deleteOrder(pruneCandidates(previous, desired));
  const groups: ObjectId[][] = [];
  for (const id of candidates) {
    const last = groups[groups.length - 1];
    if (last?.[0] && kindRank(last[0].group, last[0].kind) === kindRank(id.group, id.kind)) last.push(id);
    else groups.push([id]);
  }
  for (const group of groups) {
    const results = await mapPool(group, ctx.concurrency, async (id): Promise<Change | undefined> => {
      const subject = subjectOf(id);
      const live = ctx.live.get(id);
      if (!live) return undefined; // already gone: nothing to delete, nothing to keep
      if (live.metadata.annotations?.[PRUNE_ANNOTATION] === 'disabled') {
        return { id, subject, action: 'skipped', reason: `not pruned: ${PRUNE_ANNOTATION}: disabled` };
      }
      if (!ctx.prune) {
        kept.push(id);
        return { id, subject, action: 'skipped', reason: 'no longer in Git; sync with --prune to delete it' };
      }
      const resource = await ctx.cluster.resourceFor(id.group, id.kind);
      if (!resource) return undefined; // the kind itself is gone, and its objects with it
      await ctx.cluster.remove(resource, id.namespace, id.name, { dryRun: ctx.dryRun });
      return { id, subject, action: 'deleted', reason: 'no longer in Git' };
    });
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') {
        if (r.value) changes.push(r.value);
        return;
      }
      const id = group[i]!;
      kept.push(id);
      const message = r.reason instanceof Error ? r.reason.message : String(r.reason);
      changes.push({
        id,
        subject: subjectOf(id),
        action: 'failed',
        reason: `prune: ${ctx.redactor.redact(message)}`,
      });
    });
  }
  return { changes, kept };
}
