import { BUILTIN_GROUPS, groupOf, isObj, type KubeObject } from '../manifests';

/** Cluster-scoped kinds of the built-in API groups; every other built-in kind is namespaced. */
const CLUSTER_SCOPED = new Set([
  '/Namespace',
  '/Node',
  '/PersistentVolume',
  '/ComponentStatus',
  'rbac.authorization.k8s.io/ClusterRole',
  'rbac.authorization.k8s.io/ClusterRoleBinding',
  'apiextensions.k8s.io/CustomResourceDefinition',
  'apiregistration.k8s.io/APIService',
  'storage.k8s.io/StorageClass',
  'storage.k8s.io/CSIDriver',
  'storage.k8s.io/CSINode',
  'storage.k8s.io/VolumeAttachment',
  'scheduling.k8s.io/PriorityClass',
  'networking.k8s.io/IngressClass',
  'node.k8s.io/RuntimeClass',
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration',
  'admissionregistration.k8s.io/MutatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding',
  'certificates.k8s.io/CertificateSigningRequest',
  'flowcontrol.apiserver.k8s.io/FlowSchema',
  'flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration',
]);

/**
 * Whether a kind is namespaced, known without asking the cluster: built-in kinds, and kinds
 * whose CRD is part of the same app. Undefined means discovery must tell.
 */
export function knownScope(object: KubeObject, crds: ReadonlyMap<string, boolean>): boolean | undefined {
  const group = groupOf(object.apiVersion);
  const key = `${group}/${object.kind}`;
  const fromCrd = crds.get(key);
  if (fromCrd !== undefined) return fromCrd;
  if (!BUILTIN_GROUPS.has(group)) return undefined;
  return !CLUSTER_SCOPED.has(key);
}

/** `group/Kind` → namespaced, for every CRD among the manifests. */
export function crdScopes(objects: readonly KubeObject[]): Map<string, boolean> {
  const scopes = new Map<string, boolean>();
  for (const o of objects) {
    if (o.kind !== 'CustomResourceDefinition' || groupOf(o.apiVersion) !== 'apiextensions.k8s.io') continue;
    const spec = isObj(o.spec) ? o.spec : {};
    const names = isObj(spec.names) ? spec.names : {};
    if (typeof spec.group === 'string' && typeof names.kind === 'string') {
      scopes.set(`${spec.group}/${names.kind}`, spec.scope === 'Namespaced');
    }
  }
  return scopes;
}
