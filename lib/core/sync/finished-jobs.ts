import { formatId, groupOf, isObj, type KubeObject, type ObjectId } from '../manifests';
import type { DesiredObject } from './desired';

/** Why a Job that is gone is not created again. */
export const TTL_FINISHED_REASON =
  'finished and removed by its ttlSecondsAfterFinished; rename the Job to run it again';

/**
 * A Job the cluster deleted after it finished: it sets `ttlSecondsAfterFinished`, an earlier sync
 * applied it (it is in the inventory), and it is gone. Creating it again would run it again (a
 * migration, on every sync), so it counts as unchanged, is not waited for and is not drift.
 */
export function finishedByTtl(
  d: DesiredObject,
  live: KubeObject | undefined,
  previous: ReadonlySet<string>,
): boolean {
  if (live !== undefined || d.object.kind !== 'Job' || groupOf(d.object.apiVersion) !== 'batch') return false;
  const spec = d.object.spec;
  return isObj(spec) && typeof spec.ttlSecondsAfterFinished === 'number' && previous.has(formatId(d.id));
}

export function idSet(ids: readonly ObjectId[] | undefined): Set<string> {
  return new Set((ids ?? []).map(formatId));
}
