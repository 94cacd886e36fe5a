import { builtinSchema, type MergeSchema } from './schema';

/** One served resource: a (group, version, plural) with its kind and scope. */
export interface ResourceType {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly listKind: string;
  readonly plural: string;
  readonly singular: string;
  readonly namespaced: boolean;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  readonly schema: MergeSchema;
  /** Set for custom resources: the name of the CRD that serves them. */
  readonly crd?: string;
  /** Whether the version is the CRD's storage version (always true for built-ins). */
  readonly storage: boolean;
}

type BuiltinSpec = [
  group: string,
  version: string,
  kind: string,
  plural: string,
  namespaced: boolean,
  short?: string[],
];

const BUILTINS: readonly BuiltinSpec[] = [
  ['', 'v1', 'Namespace', 'namespaces', false, ['ns']],
  ['', 'v1', 'ConfigMap', 'configmaps', true, ['cm']],
  ['', 'v1', 'Secret', 'secrets', true],
  ['', 'v1', 'Service', 'services', true, ['svc']],
  ['', 'v1', 'ServiceAccount', 'serviceaccounts', true, ['sa']],
  ['', 'v1', 'Pod', 'pods', true, ['po']],
  ['', 'v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', true, ['pvc']],
  ['', 'v1', 'PersistentVolume', 'persistentvolumes', false, ['pv']],
  ['', 'v1', 'ReplicationController', 'replicationcontrollers', true, ['rc']],
  ['', 'v1', 'ResourceQuota', 'resourcequotas', true, ['quota']],
  ['', 'v1', 'LimitRange', 'limitranges', true, ['limits']],
  ['apps', 'v1', 'Deployment', 'deployments', true, ['deploy']],
  ['apps', 'v1', 'ReplicaSet', 'replicasets', true, ['rs']],
  ['apps', 'v1', 'StatefulSet', 'statefulsets', true, ['sts']],
  ['apps', 'v1', 'DaemonSet', 'daemonsets', true, ['ds']],
  ['batch', 'v1', 'Job', 'jobs', true],
  ['batch', 'v1', 'CronJob', 'cronjobs', true, ['cj']],
  ['networking.k8s.io', 'v1', 'Ingress', 'ingresses', true, ['ing']],
  ['networking.k8s.io', 'v1', 'NetworkPolicy', 'networkpolicies', true, ['netpol']],
  ['autoscaling', 'v2', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', true, ['hpa']],
  ['policy', 'v1', 'PodDisruptionBudget', 'poddisruptionbudgets', true, ['pdb']],
  ['rbac.authorization.k8s.io', 'v1', 'Role', 'roles', true],
  ['rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'rolebindings', true],
  ['rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'clusterroles', false],
  ['rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', 'clusterrolebindings', false],
  ['storage.k8s.io', 'v1', 'StorageClass', 'storageclasses', false, ['sc']],
  ['scheduling.k8s.io', 'v1', 'PriorityClass', 'priorityclasses', false, ['pc']],
  [
    'apiextensions.k8s.io',
    'v1',
    'CustomResourceDefinition',
    'customresourcedefinitions',
    false,
    ['crd', 'crds'],
  ],
  [
    'admissionregistration.k8s.io',
    'v1',
    'ValidatingWebhookConfiguration',
    'validatingwebhookconfigurations',
    false,
  ],
  [
    'admissionregistration.k8s.io',
    'v1',
    'MutatingWebhookConfiguration',
    'mutatingwebhookconfigurations',
    false,
  ],
  // GA in 1.30: what CEL admission policies (cert-manager's, gateway-api's) are written as.
  ['admissionregistration.k8s.io', 'v1', 'ValidatingAdmissionPolicy', 'validatingadmissionpolicies', false],
  [
    'admissionregistration.k8s.io',
    'v1',
    'ValidatingAdmissionPolicyBinding',
    'validatingadmissionpolicybindings',
    false,
  ],
];

const ALL_CATEGORY = new Set([
  'pods',
  'replicationcontrollers',
  'services',
  'deployments',
  'replicasets',
  'statefulsets',
  'daemonsets',
  'jobs',
  'cronjobs',
]);

export function builtinResourceTypes(): ResourceType[] {
  return BUILTINS.map(([group, version, kind, plural, namespaced, short]) => ({
    group,
    version,
    kind,
    listKind: `${kind}List`,
    plural,
    singular: kind.toLowerCase(),
    namespaced,
    shortNames: short ?? [],
    categories: ALL_CATEGORY.has(plural) ? ['all'] : [],
    schema: builtinSchema,
    storage: true,
  }));
}

/** The resources served, indexed for routing (group/version/plural) and for kind lookups. */
export class Registry {
  private readonly byPath = new Map<string, ResourceType>();
  /** When a CRD's kinds appear in discovery (Date.now() ms); the API serves them at once. */
  private readonly discoverableFrom = new Map<ResourceType, number>();
  /**
   * How long a new CRD's kinds stay out of discovery. A real API server updates discovery
   * asynchronously, after the CRD is Established; tests model that lag with this.
   */
  crdDiscoveryDelayMs = 0;

  constructor(types: readonly ResourceType[] = builtinResourceTypes()) {
    for (const type of types) this.add(type);
  }

  add(type: ResourceType): void {
    this.byPath.set(pathKey(type.group, type.version, type.plural), type);
    if (type.crd !== undefined && this.crdDiscoveryDelayMs > 0)
      this.discoverableFrom.set(type, Date.now() + this.crdDiscoveryDelayMs);
  }

  /** Whether discovery lists the type yet (see crdDiscoveryDelayMs). */
  private discoverable(type: ResourceType): boolean {
    const from = this.discoverableFrom.get(type);
    if (from === undefined) return true;
    if (from > Date.now()) return false;
    this.discoverableFrom.delete(type);
    return true;
  }

  /** Removes every version a CRD served. */
  removeCrd(crdName: string): void {
    for (const [key, type] of this.byPath) if (type.crd === crdName) this.byPath.delete(key);
  }

  lookup(group: string, version: string, plural: string): ResourceType | undefined {
    return this.byPath.get(pathKey(group, version, plural));
  }

  /** Any served version of a resource: objects are stored once per group and plural. */
  anyVersion(group: string, plural: string): ResourceType | undefined {
    for (const type of this.byPath.values()) if (type.group === group && type.plural === plural) return type;
    return undefined;
  }

  byKind(group: string, kind: string): ResourceType | undefined {
    for (const type of this.byPath.values()) if (type.group === group && type.kind === kind) return type;
    return undefined;
  }

  all(): ResourceType[] {
    return [...this.byPath.values()];
  }

  /**
   * Group name → its versions as discovery lists them, preferred first: by Kubernetes version
   * priority (v2 > v1 > v1beta2 > v1beta1 > v1alpha1 > others), across every CRD of the group, as
   * the API server orders them.
   */
  groups(): Map<string, string[]> {
    const groups = new Map<string, string[]>();
    for (const type of this.byPath.values()) {
      if (!this.discoverable(type)) continue;
      const versions = groups.get(type.group) ?? [];
      if (!versions.includes(type.version)) versions.push(type.version);
      groups.set(type.group, versions);
    }
    for (const versions of groups.values()) versions.sort(compareVersions);
    return groups;
  }

  /** The types of a group-version, as discovery lists them. */
  inGroupVersion(group: string, version: string): ResourceType[] {
    return this.all().filter((t) => t.group === group && t.version === version && this.discoverable(t));
  }
}

function pathKey(group: string, version: string, plural: string): string {
  return `${group}/${version}/${plural}`;
}

const KUBE_VERSION = /^v(\d+)(?:(alpha|beta)(\d+))?$/;

/** Kubernetes version priority, highest first: GA, then beta, then alpha, each by number; others last, by name. */
function compareVersions(a: string, b: string): number {
  const rank = (v: string): [number, number, number] | undefined => {
    const m = KUBE_VERSION.exec(v);
    if (!m) return undefined;
    const stage = m[2] === undefined ? 2 : m[2] === 'beta' ? 1 : 0;
    return [stage, Number(m[1]), Number(m[3] ?? 0)];
  };
  const x = rank(a);
  const y = rank(b);
  if (!x || !y) return x ? -1 : y ? 1 : a.localeCompare(b);
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return (y[i] ?? 0) - (x[i] ?? 0);
  return 0;
}
