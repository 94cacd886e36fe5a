/**
 * Apply and delete order (DESIGN.md "Order"): by kind first, then by sync wave. Kinds that depend on
 * nothing in their tier share a rank, so they land in one batch and are applied in parallel; a kind
 * gets its own tier only when something later needs it to exist first.
 */

import { SYNC_WAVE_ANNOTATION } from '../manifests/annotations';
import { formatId, idOf, type KubeObject, type ObjectId, subjectOf } from '../manifests/object';
import { InvalidSyncWaveError } from './errors';

type Tier = readonly (readonly [kind: string, groups: readonly string[]])[];

const CORE = [''];
// `extensions` still names old manifests' workloads and ingresses; an API server that no longer
// serves it rejects them at apply, which is a better message than a wrong order here.
const APPS = ['apps', 'extensions'];
const STORAGE = ['storage.k8s.io'];
const RBAC = ['rbac.authorization.k8s.io'];
const NETWORKING = ['networking.k8s.io', 'extensions'];
const ADMISSION = ['admissionregistration.k8s.io'];

/** Marks where custom resources and every kind this table does not know go. */
const CUSTOM: Tier = [];

const TIERS: readonly Tier[] = [
  [['Namespace', CORE]],
  // CRDs before anything, so custom resources in the same sync find their API.
  [['CustomResourceDefinition', ['apiextensions.k8s.io']]],
  // Cluster-wide classes and policies that namespaced objects name at admission time.
  [
    ['PriorityClass', ['scheduling.k8s.io']],
    ['StorageClass', STORAGE],
    ['CSIDriver', STORAGE],
    ['VolumeAttributesClass', STORAGE],
    ['IngressClass', ['networking.k8s.io']],
    ['RuntimeClass', ['node.k8s.io']],
    ['PodSecurityPolicy', ['policy', 'extensions']],
  ],
  [['ServiceAccount', CORE]],
  // Roles before bindings: the API server's escalation check on a binding looks up the role it
  // references, and a missing role fails the check unless the applier may `bind`.
  [
    ['ClusterRole', RBAC],
    ['Role', RBAC],
  ],
  [
    ['ClusterRoleBinding', RBAC],
    ['RoleBinding', RBAC],
  ],
  [
    ['ConfigMap', CORE],
    ['Secret', CORE],
  ],
  [
    ['PersistentVolume', CORE],
    ['PersistentVolumeClaim', CORE],
  ],
  // LimitRange and ResourceQuota act when pods are admitted, so they must exist before workloads.
  [
    ['LimitRange', CORE],
    ['ResourceQuota', CORE],
    ['NetworkPolicy', NETWORKING],
    ['PodDisruptionBudget', ['policy']],
  ],
  // Services before workloads: pods get the service environment variables only of services that
  // existed when they started.
  [['Service', CORE]],
  [
    ['Pod', CORE],
    ['ReplicationController', CORE],
    ['ReplicaSet', APPS],
    ['Deployment', APPS],
    ['StatefulSet', APPS],
    ['DaemonSet', APPS],
    ['Job', ['batch']],
    ['CronJob', ['batch']],
    // Tolerates a missing target (it reports and retries), so it need not wait for its workload.
    ['HorizontalPodAutoscaler', ['autoscaling']],
  ],
  [['Ingress', NETWORKING]],
  CUSTOM,
  // Last: a webhook or aggregated API whose backend is not up yet would reject or break the
  // requests of everything applied after it.
  [
    ['APIService', ['apiregistration.k8s.io']],
    ['ValidatingWebhookConfiguration', ADMISSION],
    ['MutatingWebhookConfiguration', ADMISSION],
    ['ValidatingAdmissionPolicy', ADMISSION],
    ['ValidatingAdmissionPolicyBinding', ADMISSION],
    ['MutatingAdmissionPolicy', ADMISSION],
    ['MutatingAdmissionPolicyBinding', ADMISSION],
  ],
];

const CUSTOM_RANK = TIERS.indexOf(CUSTOM);

const RANKS: ReadonlyMap<string, number> = new Map(
  TIERS.flatMap((tier, rank) =>
    tier.flatMap(([kind, groups]) => groups.map((group) => [`${group}/${kind}`, rank] as const)),
  ),
);

/**
 * The apply rank of a kind: lower ranks are applied first. The group tells built-in kinds from custom
 * resources that reuse their names (`Service` in `example.com` is a custom resource).
 */
export function kindRank(group: string, kind: string): number {
  return RANKS.get(`${group}/${kind}`) ?? CUSTOM_RANK;
}

const INTEGER = /^[+-]?\d+$/;

/** The `plumbline.dev/sync-wave` annotation as an integer; 0 when absent. */
export function syncWave(object: KubeObject): number {
  const value: unknown = object.metadata.annotations?.[SYNC_WAVE_ANNOTATION];
  if (value === undefined) return 0;
  // Only strings: the API server rejects a numeric annotation value, so accepting one here would
  // only move the failure to apply time.
  if (typeof value !== 'string' || !INTEGER.test(value))
    throw new InvalidSyncWaveError(subjectOf(idOf(object)), value);
  const wave = Number(value);
  if (!Number.isSafeInteger(wave)) throw new InvalidSyncWaveError(subjectOf(idOf(object)), value);
  // `-0` would make equal waves look different to Object.is and to test matchers.
  return wave === 0 ? 0 : wave;
}

/** Code-unit order, the same on every machine and locale (localeCompare is not). */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

interface Keyed {
  readonly object: KubeObject;
  readonly rank: number;
  readonly wave: number;
  readonly id: string;
}

/**
 * Objects in apply order, grouped into batches of equal (kind rank, wave): the batches run one after
 * the other, the objects of a batch in parallel. Within a batch objects are sorted by formatted id so
 * the same input always gives the same plan; the sort is stable, so duplicate ids keep input order.
 */
export function applyBatches(objects: readonly KubeObject[]): KubeObject[][] {
  const keyed: Keyed[] = objects.map((object) => {
    const id = idOf(object);
    return { object, rank: kindRank(id.group, id.kind), wave: syncWave(object), id: formatId(id) };
  });
  keyed.sort((a, b) => a.rank - b.rank || a.wave - b.wave || compareText(a.id, b.id));
  const batches: KubeObject[][] = [];
  let previous: Keyed | undefined;
  let batch: KubeObject[] = [];
  for (const item of keyed) {
    if (previous !== undefined && (previous.rank !== item.rank || previous.wave !== item.wave)) {
      batches.push(batch);
      batch = [];
    }
    batch.push(item.object);
    previous = item;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/**
 * Ids in delete order: the apply order by kind rank reversed (webhooks first, namespaces last), ties
 * by formatted id descending. Waves play no part: pruned objects are no longer in Git, so their
 * annotations are not known.
 */
export function deleteOrder(ids: readonly ObjectId[]): ObjectId[] {
  return ids
    .map((id) => ({ id, rank: kindRank(id.group, id.kind), text: formatId(id) }))
    .sort((a, b) => b.rank - a.rank || compareText(b.text, a.text))
    .map((item) => item.id);
}
