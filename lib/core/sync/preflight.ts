import { leastPolicyAllowing } from '../access/policies';
import type { KubeObject, ObjectId } from '../manifests';
import { isUnchanged } from './apply-object';
import type { DesiredObject } from './desired';
import { MissingAccessError, type MissingPermission } from './errors';
import { needsManagerMigration } from './field-managers';
import { ownershipRefusal } from './ownership';
import { mapPool } from './pool';
import type { AccessCheck, ClusterPort, ResourceInfo } from './ports';
import type { PruneDecision } from './prune-plan';

/** At most this many SelfSubjectAccessReviews per sync; the rest are left to the API server's own 403. */
export const MAX_ACCESS_REVIEWS = 50;

export type WriteVerb = 'create' | 'patch' | 'delete' | 'list';

/**
 * A write the plan will send (server-side apply is `patch`, and `create` too when the object is
 * new), or the `list` that reading it takes.
 */
export interface PlannedWrite {
  readonly resource: ResourceInfo;
  readonly id: ObjectId;
  readonly verbs: readonly WriteVerb[];
}

interface Need extends AccessCheck {
  readonly kind: string;
  readonly namespaced: boolean;
}

/**
 * The namespace the API server authorizes a request in: a Namespace object is in itself (its
 * RequestInfo namespace is its name), other cluster-scoped objects in none.
 */
function authorizationNamespace(resource: ResourceInfo, id: ObjectId): string {
  if (resource.namespaced) return id.namespace;
  return resource.group === '' && resource.plural === 'namespaces' ? id.name : '';
}

/** What grants a permission, named as plumbline.config.json does. */
export function grantedBy(need: Pick<Need, 'group' | 'resource' | 'verb' | 'namespaced'>): string {
  if (!need.namespaced) return 'clusters[].clusterScoped: true';
  const policy = leastPolicyAllowing(need.group, need.resource, need.verb);
  return policy
    ? `clusters[].access: ${policy}`
    : 'no clusters[].access level (EKS access policies do not cover this kind): bind a Role to the sync identity';
}

/**
 * The permissions the writes need, once each, in the order they are checked: those only cluster
 * scope or admin grants first, since they are the ones an access entry most often lacks.
 */
export function accessNeeds(writes: readonly PlannedWrite[]): Need[] {
  const needs = new Map<string, Need>();
  for (const { resource, id, verbs } of writes) {
    for (const verb of verbs) {
      const need: Need = {
        group: resource.group,
        resource: resource.plural,
        namespace:
          verb === 'list' ? (resource.namespaced ? id.namespace : '') : authorizationNamespace(resource, id),
        verb,
        kind: resource.kind,
        namespaced: resource.namespaced,
      };
      needs.set(`${verb} ${need.group}/${need.resource} ${need.namespace}`, need);
    }
  }
  const rank = (n: Need): number => {
    if (!n.namespaced) return 0;
    const policy = leastPolicyAllowing(n.group, n.resource, n.verb);
    return policy === undefined ? 0 : policy === 'admin' ? 1 : 2;
  };
  return [...needs.values()].sort((a, b) => rank(a) - rank(b));
}

export interface PreflightResult {
  /** Reviews asked (answers cached by the adapter for the job count once). */
  readonly reviews: number;
  /** Permissions past MAX_ACCESS_REVIEWS, not checked. */
  readonly unchecked: number;
  /** False when the cluster could not answer (no SelfSubjectAccessReview): nothing was checked. */
  readonly checked: boolean;
}

function describe(m: MissingPermission): string {
  const resource = m.group ? `${m.resource}.${m.group}` : m.resource;
  const where = m.namespace ? `in namespace ${m.namespace}` : 'at the cluster scope';
  return `  cannot ${m.verb} ${m.kind} (${resource}) ${where}: needs ${m.grantedBy}`;
}

/**
 * Asks the cluster whether the sync may send the planned writes, before the first one; throws
 * MissingAccessError listing every missing permission. Nothing is asked when nothing is written.
 */
export async function checkAccess(
  cluster: ClusterPort,
  app: string,
  writes: readonly PlannedWrite[],
  concurrency: number,
): Promise<PreflightResult> {
  const all = accessNeeds(writes);
  const review = cluster.reviewAccess?.bind(cluster);
  if (all.length === 0 || !review) return { reviews: 0, unchecked: all.length, checked: false };
  const needs = all.slice(0, MAX_ACCESS_REVIEWS);
  const answers = await mapPool(needs, Math.min(concurrency, 8), (n) =>
    review({ group: n.group, resource: n.resource, namespace: n.namespace, verb: n.verb }),
  );
  const missing: MissingPermission[] = [];
  for (const [i, answer] of answers.entries()) {
    if (answer.status === 'rejected') throw answer.reason;
    if (answer.value === undefined) return { reviews: needs.length, unchecked: all.length, checked: false };
    const n = needs[i]!;
    if (!answer.value)
      missing.push({
        kind: n.kind,
        group: n.group,
        resource: n.resource,
        verb: n.verb,
        namespace: n.namespace,
        grantedBy: grantedBy(n),
      });
  }
  if (missing.length > 0)
    throw new MissingAccessError(
      [
        `app ${app}: refused before any write: the cluster identity lacks ${missing.length} permission(s) the sync needs (plumbline.config.json; locally, the --kubeconfig identity needs the same):`,
        ...missing.map(describe),
      ].join('\n'),
      missing,
    );
  return { reviews: needs.length, unchecked: all.length - needs.length, checked: true };
}

/**
 * The writes a sync will send, as applyAsApp and pruneObjects decide them: none for an object that
 * is unchanged (and needs no field-manager move) or that another app owns; `create` and `patch` for
 * a new one; `patch` otherwise; `delete` for each prune. Kinds the cluster does not serve yet (their
 * CRD comes in this sync) are left out.
 */
export async function plannedWrites(
  cluster: Pick<ClusterPort, 'resourceFor'>,
  app: string,
  desired: readonly DesiredObject[],
  resources: ReadonlyMap<string, ResourceInfo>,
  state: {
    readonly live: (id: ObjectId) => KubeObject | undefined;
    readonly foreign: (id: ObjectId) => KubeObject | undefined;
  },
  prune: readonly PruneDecision[],
): Promise<PlannedWrite[]> {
  const writes: PlannedWrite[] = [];
  for (const d of desired) {
    const resource = resources.get(`${d.object.apiVersion}/${d.object.kind}`);
    if (!resource) continue;
    const live = state.live(d.id);
    const foreign = live ? undefined : state.foreign(d.id);
    if (live) {
      if (!isUnchanged(d.object, live, app) || needsManagerMigration(live, app))
        writes.push({ resource, id: d.id, verbs: ['patch'] });
    } else if (foreign) {
      if (ownershipRefusal(d.object, foreign, app) === undefined)
        writes.push({ resource, id: d.id, verbs: ['patch'] });
    } else writes.push({ resource, id: d.id, verbs: ['create', 'patch'] });
  }
  for (const decision of prune) {
    if (decision.action !== 'delete') continue;
    const resource = await cluster.resourceFor(decision.id.group, decision.id.kind);
    if (resource) writes.push({ resource, id: decision.id, verbs: ['delete'] });
  }
  return writes;
}

/**
 * After a read of live state was Forbidden (EKS's edit policy cannot even list Roles): what the
 * app's objects would need, every one taken as new, checked so the refusal names each permission
 * and its config field instead of the API server's first 403. Rethrows `forbidden` when the
 * reviews find nothing missing or cannot be asked.
 */
export async function explainForbiddenRead(
  cluster: ClusterPort,
  app: string,
  desired: readonly { readonly resource: ResourceInfo; readonly id: ObjectId }[],
  leftovers: readonly { readonly resource: ResourceInfo; readonly id: ObjectId }[],
  concurrency: number,
  forbidden: unknown,
): Promise<never> {
  const writes: PlannedWrite[] = [
    ...desired.map((t) => ({ ...t, verbs: ['list', 'create', 'patch'] as const })),
    ...leftovers.map((t) => ({ ...t, verbs: ['list'] as const })),
  ];
  await checkAccess(cluster, app, writes, concurrency);
  throw forbidden;
}
