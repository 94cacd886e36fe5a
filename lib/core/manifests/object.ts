/** A Kubernetes object as plain JSON. */
export type Obj = Record<string, unknown>;

export interface ObjectMeta extends Obj {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** A manifest after loading: apiVersion, kind and metadata.name are known to be strings. */
export interface KubeObject extends Obj {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
}

/** The identity of an object across inventories, change sets and audit records (DESIGN.md). */
export interface ObjectId {
  readonly group: string;
  readonly kind: string;
  /** '' for cluster-scoped objects. */
  readonly namespace: string;
  readonly name: string;
}

export function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The API group of an apiVersion: '' for `v1`, `apps` for `apps/v1`. */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

export function idOf(object: KubeObject): ObjectId {
  return {
    group: groupOf(object.apiVersion),
    kind: object.kind,
    namespace: object.metadata.namespace ?? '',
    name: object.metadata.name,
  };
}

/** `group/kind/namespace/name`, empty group for core kinds and empty namespace for cluster-scoped ones. */
export function formatId(id: ObjectId): string {
  return `${id.group}/${id.kind}/${id.namespace}/${id.name}`;
}

export function parseId(text: string): ObjectId {
  const parts = text.split('/');
  if (parts.length !== 4 || !parts[1] || !parts[3])
    throw new Error(`invalid object id "${text}": want group/kind/namespace/name`);
  return { group: parts[0] ?? '', kind: parts[1], namespace: parts[2] ?? '', name: parts[3] };
}

/** The API groups Kubernetes itself serves; kinds of other groups are custom resources. */
export const BUILTIN_GROUPS: ReadonlySet<string> = new Set([
  '',
  'apps',
  'batch',
  'autoscaling',
  'policy',
  'networking.k8s.io',
  'rbac.authorization.k8s.io',
  'storage.k8s.io',
  'scheduling.k8s.io',
  'apiextensions.k8s.io',
  'apiregistration.k8s.io',
  'admissionregistration.k8s.io',
  'node.k8s.io',
  'certificates.k8s.io',
  'coordination.k8s.io',
  'discovery.k8s.io',
  'events.k8s.io',
  'flowcontrol.apiserver.k8s.io',
]);

/** What people read: `Deployment/shop/web`, `Namespace/shop`, `Widget.example.com/shop/w` (groups only for custom resources). */
export function subjectOf(id: ObjectId): string {
  const kind = BUILTIN_GROUPS.has(id.group) ? id.kind : `${id.kind}.${id.group}`;
  return id.namespace ? `${kind}/${id.namespace}/${id.name}` : `${kind}/${id.name}`;
}

export function sameId(a: ObjectId, b: ObjectId): boolean {
  return a.group === b.group && a.kind === b.kind && a.namespace === b.namespace && a.name === b.name;
}
