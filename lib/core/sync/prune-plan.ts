/**
 * What prune may delete (DESIGN.md "Inventory", #14 findings 3–5): pure decisions over the
 * inventory's entries, the allow-list and the live objects. Only what is provably this app's is
 * deleted; every object kept says why.
 */
import type { InventoryEntry } from '../inventory';
import { formatId, isObj, type KubeObject, type ObjectId, PRUNE_ANNOTATION } from '../manifests';
import type { AllowList } from './desired';

export interface PruneRules {
  /** Delete at all (sync --prune, the app's `prune`). */
  readonly prune: boolean;
  /** Delete objects the app adopted (they existed before it applied them). */
  readonly pruneAdopted: boolean;
  /** The largest share of the inventory one sync may delete, 0 to 1 (default DEFAULT_PRUNE_SHARE). */
  readonly maxShare: number;
  /** Delete past maxShare (--force-prune). */
  readonly force: boolean;
  readonly allow: AllowList;
}

export const DEFAULT_PRUNE_SHARE = 0.5;

export type PruneDecision =
  /** `uid`: of the object read, the delete's precondition (an object made since under that name is not this one). */
  | { readonly id: ObjectId; readonly action: 'delete'; readonly uid?: string }
  /** Stays in the inventory, with the reason the change set shows. */
  | { readonly id: ObjectId; readonly action: 'keep'; readonly reason: string }
  /** Leaves the inventory without a delete: gone already, or opted out by annotation. */
  | { readonly id: ObjectId; readonly action: 'forget'; readonly reason?: string };

function kindName(id: ObjectId): string {
  return id.group ? `${id.kind}.${id.group}` : id.kind;
}

/**
 * Why the current allow-list forbids touching an id (a narrowed `--allow-namespaces`, cluster-scoped
 * kinds no longer allowed, a denied kind), or undefined. Such ids are neither read nor deleted.
 */
export function outsideAllowList(id: ObjectId, allow: AllowList, cluster = false): string | undefined {
  const denied = allow.deniedKinds ?? [];
  if (denied.includes(id.kind) || denied.includes(kindName(id)))
    return `not pruned: kind ${kindName(id)} is denied by the allow-list`;
  const namespaces = allow.namespaces;
  if (id.namespace !== '') {
    if (namespaces && !namespaces.includes(id.namespace))
      return `not pruned: namespace ${id.namespace} is outside the allow-list`;
    return undefined;
  }
  if (allow.clusterScoped || cluster) return undefined;
  // As for applies: a Namespace named in the allow-list is the one cluster-scoped object allowed.
  if (id.group === '' && id.kind === 'Namespace' && namespaces?.includes(id.name)) return undefined;
  return `not pruned: cluster-scoped ${kindName(id)} is outside the allow-list`;
}

/**
 * Decides each prune candidate (an inventory entry Git no longer declares, inside the allow-list):
 * gone or opted out → forget; pending, adopted without pruneAdopted, or prune off → keep; else
 * delete, unless the deletes exceed maxShare of the inventory without force, when all are kept.
 */
export function planPrune(
  candidates: readonly InventoryEntry[],
  inventorySize: number,
  live: (id: ObjectId) => KubeObject | undefined,
  rules: PruneRules,
): PruneDecision[] {
  const decisions: PruneDecision[] = candidates.map((entry): PruneDecision => {
    const { id } = entry;
    const object = live(id);
    if (!object) return { id, action: 'forget' };
    const annotations = isObj(object.metadata.annotations) ? object.metadata.annotations : {};
    if (annotations[PRUNE_ANNOTATION] === 'disabled')
      return { id, action: 'forget', reason: `not pruned: ${PRUNE_ANNOTATION}: disabled` };
    if (entry.origin === 'pending')
      return { id, action: 'keep', reason: 'not pruned: another sync of the app is applying it' };
    if (entry.origin === 'adopted' && !rules.pruneAdopted)
      return {
        id,
        action: 'keep',
        reason:
          'not pruned: adopted (it existed before the app applied it); set pruneAdopted: true or sync with --prune-adopted to delete it',
      };
    if (!rules.prune)
      return { id, action: 'keep', reason: 'no longer in Git; sync with --prune to delete it' };
    const uid = object.metadata.uid;
    return typeof uid === 'string' && uid !== '' ? { id, action: 'delete', uid } : { id, action: 'delete' };
  });
  const deletes = decisions.filter((d) => d.action === 'delete').length;
  if (rules.force || deletes === 0 || deletes <= rules.maxShare * inventorySize) return decisions;
  const percent = Math.round(rules.maxShare * 100);
  const reason = `not pruned: this sync would delete ${deletes} of the app's ${inventorySize} objects, more than ${percent}%; sync with --force-prune (or raise pruneShare) to delete them`;
  return decisions.map((d) => (d.action === 'delete' ? { id: d.id, action: 'keep', reason } : d));
}

/** Objects every namespace holds, made by the cluster itself: they do not make a namespace someone else's. */
function automatic(object: KubeObject): boolean {
  const { kind, metadata } = object;
  if (kind === 'Event') return true;
  if (kind === 'ServiceAccount' && metadata.name === 'default') return true;
  if (kind === 'ConfigMap' && metadata.name === 'kube-root-ca.crt') return true;
  // Endpoints mirror a Service of the same name (the endpoints controller writes them).
  return kind === 'Endpoints';
}

function groupOfApiVersion(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
}

/** `group/Kind` of each owner reference (to resolve which owner kinds are cluster-scoped). */
export function ownerKinds(objects: readonly KubeObject[]): { group: string; kind: string }[] {
  const out = new Map<string, { group: string; kind: string }>();
  for (const object of objects) {
    const owners = object.metadata.ownerReferences;
    if (!Array.isArray(owners)) continue;
    for (const o of owners as { apiVersion?: unknown; kind?: unknown }[]) {
      if (typeof o?.kind !== 'string') continue;
      const group = groupOfApiVersion(typeof o.apiVersion === 'string' ? o.apiVersion : '');
      out.set(`${group}/${o.kind}`, { group, kind: o.kind });
    }
  }
  return [...out.values()];
}

/**
 * The objects of a namespace that deleting it would take along although this prune does not
 * delete them: neither in `deleting`, nor made by the cluster, nor owned by another object of the
 * namespace (a ReplicaSet of a Deployment is judged by its owner). An owner outside the namespace
 * (`clusterScoped` holds such kinds as `group/Kind`) is not judged here: its object counts unless
 * this prune deletes that owner too.
 */
export function namespaceBlockers(
  objects: readonly KubeObject[],
  deleting: ReadonlySet<string>,
  clusterScoped: ReadonlySet<string> = new Set(),
): KubeObject[] {
  return objects.filter((object) => {
    if (automatic(object)) return false;
    // metrics-server's PodMetrics mirror running pods (judged by their owners); they own nothing.
    if (object.apiVersion.startsWith('metrics.k8s.io/')) return false;
    const owners = object.metadata.ownerReferences;
    if (Array.isArray(owners) && owners.length > 0) {
      const outside = (owners as { apiVersion?: unknown; kind?: unknown; name?: unknown }[]).some((o) => {
        const group = groupOfApiVersion(typeof o?.apiVersion === 'string' ? o.apiVersion : '');
        const kind = typeof o?.kind === 'string' ? o.kind : '';
        if (!clusterScoped.has(`${group}/${kind}`)) return false;
        const name = typeof o?.name === 'string' ? o.name : '';
        return !deleting.has(formatId({ group, kind, namespace: '', name }));
      });
      if (!outside) return false;
    }
    const group = groupOfApiVersion(object.apiVersion);
    const id = {
      group,
      kind: object.kind,
      namespace: object.metadata.namespace ?? '',
      name: object.metadata.name,
    };
    return !deleting.has(formatId(id));
  });
}

/**
 * The objects of a CRD's kind that deleting the CRD would take along (the API server deletes every
 * one) although this prune does not delete them: neither in `deleting` nor owned by an object in it.
 */
export function crdBlockers(objects: readonly KubeObject[], deleting: ReadonlySet<string>): KubeObject[] {
  return objects.filter((object) => {
    const namespace = object.metadata.namespace ?? '';
    const group = groupOfApiVersion(object.apiVersion);
    if (deleting.has(formatId({ group, kind: object.kind, namespace, name: object.metadata.name })))
      return false;
    const owners = Array.isArray(object.metadata.ownerReferences) ? object.metadata.ownerReferences : [];
    return !(owners as { apiVersion?: unknown; kind?: unknown; name?: unknown }[]).some((o) => {
      const owner = {
        group: groupOfApiVersion(typeof o?.apiVersion === 'string' ? o.apiVersion : ''),
        kind: typeof o?.kind === 'string' ? o.kind : '',
        name: typeof o?.name === 'string' ? o.name : '',
      };
      // An owner is in the object's namespace, or cluster-scoped.
      return (
        deleting.has(formatId({ ...owner, namespace })) || deleting.has(formatId({ ...owner, namespace: '' }))
      );
    });
  });
}
