/**
 * Apply and delete order (DESIGN.md "Order", docs/adr/0003): by sync wave first, as Argo CD orders,
 * then by kind. A Namespace or CRD is pulled forward to the earliest wave of an object that needs it,
 * so no wave can put an object before its namespace or its API. Kinds that depend on nothing in their
 * tier share a rank, so they land in one batch and are applied in parallel; a kind gets its own tier
 * only when something later needs it to exist first.
 */

import {
  ARGO_SYNC_WAVE_ANNOTATION,
  HELM_HOOK_WEIGHT_ANNOTATION,
  SYNC_WAVE_ANNOTATION,
} from '../manifests/annotations';
import { formatId, groupOf, idOf, type KubeObject, type ObjectId, subjectOf } from '../manifests/object';
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

/**
 * Where an object's wave is read, first found wins: Plumbline's own annotation, then Argo CD's, then
 * Helm's hook weight (which Argo CD also reads as the wave of any object).
 */
const WAVE_ANNOTATIONS = [SYNC_WAVE_ANNOTATION, ARGO_SYNC_WAVE_ANNOTATION, HELM_HOOK_WEIGHT_ANNOTATION];

/** The object's sync wave as an integer; 0 when no wave annotation is set. */
export function syncWave(object: KubeObject): number {
  const annotations = object.metadata.annotations;
  const annotation = WAVE_ANNOTATIONS.find((a) => annotations?.[a] !== undefined);
  if (annotation === undefined) return 0;
  const value: unknown = annotations?.[annotation];
  // Only strings: the API server rejects a numeric annotation value, so accepting one here would
  // only move the failure to apply time. Argo CD reads a bad value as 0; a typo should not reorder.
  const bad = (): InvalidSyncWaveError =>
    new InvalidSyncWaveError(subjectOf(idOf(object)), value, { annotation });
  if (typeof value !== 'string' || !INTEGER.test(value)) throw bad();
  const wave = Number(value);
  if (!Number.isSafeInteger(wave)) throw bad();
  // `-0` would make equal waves look different to Object.is and to test matchers.
  return wave === 0 ? 0 : wave;
}

/**
 * The wave each object is applied in: its own, except that a Namespace or a CRD takes the earliest
 * wave of the objects in it or of its kind (Argo CD's `adjustDeps`).
 */
export function effectiveWaves(objects: readonly KubeObject[]): number[] {
  const own = objects.map(syncWave);
  const earliestIn = new Map<string, number>();
  const earliestOfKind = new Map<string, number>();
  const lower = (map: Map<string, number>, key: string, wave: number): void => {
    const seen = map.get(key);
    if (seen === undefined || wave < seen) map.set(key, wave);
  };
  objects.forEach((object, i) => {
    const wave = own[i] ?? 0;
    if (object.metadata.namespace) lower(earliestIn, object.metadata.namespace, wave);
    lower(earliestOfKind, `${groupOf(object.apiVersion)}/${object.kind}`, wave);
  });
  return objects.map((object, i) => {
    const wave = own[i] ?? 0;
    const needed = isNamespace(object)
      ? earliestIn.get(object.metadata.name)
      : isCrd(object)
        ? earliestOfKind.get(crdKind(object))
        : undefined;
    return needed !== undefined && needed < wave ? needed : wave;
  });
}

function isNamespace(object: KubeObject): boolean {
  return object.kind === 'Namespace' && object.apiVersion === 'v1';
}

function isCrd(object: KubeObject): boolean {
  return object.kind === 'CustomResourceDefinition' && groupOf(object.apiVersion) === 'apiextensions.k8s.io';
}

function crdKind(object: KubeObject): string {
  const spec = (object.spec ?? {}) as { group?: unknown; names?: { kind?: unknown } };
  return `${String(spec.group)}/${String(spec.names?.kind)}`;
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

/** The objects of one wave, in batches of equal kind rank. */
export interface Wave {
  readonly wave: number;
  readonly batches: KubeObject[][];
}

/**
 * Objects in apply order: waves, lowest first, each in batches of equal kind rank. The batches run
 * one after the other, the objects of a batch in parallel. Within a batch objects are sorted by
 * formatted id so the same input always gives the same plan; the sort is stable, so duplicate ids
 * keep input order.
 */
export function applyWaves(objects: readonly KubeObject[]): Wave[] {
  const waves = effectiveWaves(objects);
  const keyed: Keyed[] = objects.map((object, i) => {
    const id = idOf(object);
    return { object, rank: kindRank(id.group, id.kind), wave: waves[i] ?? 0, id: formatId(id) };
  });
  keyed.sort((a, b) => a.wave - b.wave || a.rank - b.rank || compareText(a.id, b.id));
  const out: { wave: number; batches: KubeObject[][] }[] = [];
  let previous: Keyed | undefined;
  for (const item of keyed) {
    if (previous === undefined || previous.wave !== item.wave) out.push({ wave: item.wave, batches: [] });
    const current = out[out.length - 1]!;
    if (previous === undefined || previous.wave !== item.wave || previous.rank !== item.rank)
      current.batches.push([]);
    current.batches[current.batches.length - 1]!.push(item.object);
    previous = item;
  }
  return out;
}

/** applyWaves without the wave boundaries: every batch in apply order. */
export function applyBatches(objects: readonly KubeObject[]): KubeObject[][] {
  return applyWaves(objects).flatMap((w) => w.batches);
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
