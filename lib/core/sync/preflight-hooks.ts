import type { HookPhase, HookWave } from '../order';
import type { DesiredObject } from './desired';
import type { ClusterPort } from './ports';
import type { PlannedWrite, WriteVerb } from './preflight';

/**
 * The writes the hooks will send, for the access preflight: a hook runs after objects of the app
 * are written (Sync, PostSync, SyncFail), so a hook the identity may not create would otherwise
 * fail a sync half done. A named hook is applied (`create`, `patch`), one named by generateName
 * created; a delete policy deletes it. Kinds the cluster does not serve are left out.
 */
export async function plannedHookWrites(
  cluster: Pick<ClusterPort, 'resource'>,
  hooks: Readonly<Record<HookPhase, readonly HookWave<DesiredObject>[]>>,
): Promise<PlannedWrite[]> {
  const writes: PlannedWrite[] = [];
  for (const waves of Object.values(hooks))
    for (const { hooks: list } of waves)
      for (const hook of list) {
        const { object, id } = hook.item;
        const resource = await cluster.resource(object.apiVersion, object.kind);
        if (!resource) continue;
        const verbs: WriteVerb[] = object.metadata.name === '' ? ['create'] : ['create', 'patch'];
        if (hook.deletePolicies.length > 0) verbs.push('delete');
        writes.push({ resource, id, verbs });
      }
  return writes;
}
