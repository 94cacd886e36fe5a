/**
 * The Kubernetes permissions of the EKS access policies (#13): what the sandbox grants a token, and
 * what the sync's preflight names as the access level a missing permission needs. AWS publishes
 * them ("Review access policy permissions" in the EKS user guide) as the rules of Kubernetes'
 * user-facing `view`, `edit` and `admin` ClusterRoles, each including the one before; the tables
 * below follow those. AmazonEKSClusterAdminPolicy is `*` on everything, cluster-wide.
 */

export const ACCESS_POLICIES = ['view', 'edit', 'admin', 'cluster-admin'] as const;
export type AccessPolicy = (typeof ACCESS_POLICIES)[number];

export const EKS_POLICY_NAMES: Record<AccessPolicy, string> = {
  view: 'AmazonEKSViewPolicy',
  edit: 'AmazonEKSEditPolicy',
  admin: 'AmazonEKSAdminPolicy',
  'cluster-admin': 'AmazonEKSClusterAdminPolicy',
};

/** One allow rule, shaped as an RBAC PolicyRule and a SelfSubjectRulesReview's resourceRules. */
export interface PolicyRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
}

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];

const VIEW: readonly PolicyRule[] = [
  {
    apiGroups: [''],
    resources: [
      'configmaps',
      'endpoints',
      'persistentvolumeclaims',
      'persistentvolumeclaims/status',
      'pods',
      'replicationcontrollers',
      'replicationcontrollers/scale',
      'serviceaccounts',
      'services',
      'services/status',
    ],
    verbs: READ,
  },
  {
    apiGroups: [''],
    resources: [
      'bindings',
      'events',
      'limitranges',
      'namespaces/status',
      'pods/log',
      'pods/status',
      'replicationcontrollers/status',
      'resourcequotas',
      'resourcequotas/status',
    ],
    verbs: READ,
  },
  { apiGroups: [''], resources: ['namespaces'], verbs: READ },
  { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: READ },
  {
    apiGroups: ['apps'],
    resources: [
      'controllerrevisions',
      'daemonsets',
      'daemonsets/status',
      'deployments',
      'deployments/scale',
      'deployments/status',
      'replicasets',
      'replicasets/scale',
      'replicasets/status',
      'statefulsets',
      'statefulsets/scale',
      'statefulsets/status',
    ],
    verbs: READ,
  },
  {
    apiGroups: ['autoscaling'],
    resources: ['horizontalpodautoscalers', 'horizontalpodautoscalers/status'],
    verbs: READ,
  },
  { apiGroups: ['batch'], resources: ['cronjobs', 'cronjobs/status', 'jobs', 'jobs/status'], verbs: READ },
  {
    apiGroups: ['extensions'],
    resources: [
      'daemonsets',
      'daemonsets/status',
      'deployments',
      'deployments/scale',
      'deployments/status',
      'ingresses',
      'ingresses/status',
      'networkpolicies',
      'replicasets',
      'replicasets/scale',
      'replicasets/status',
      'replicationcontrollers/scale',
    ],
    verbs: READ,
  },
  {
    apiGroups: ['policy'],
    resources: ['poddisruptionbudgets', 'poddisruptionbudgets/status'],
    verbs: READ,
  },
  {
    apiGroups: ['networking.k8s.io'],
    resources: ['ingresses', 'ingresses/status', 'networkpolicies'],
    verbs: READ,
  },
];

const EDIT_ONLY: readonly PolicyRule[] = [
  {
    apiGroups: [''],
    resources: ['pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'secrets', 'services/proxy'],
    verbs: READ,
  },
  { apiGroups: [''], resources: ['serviceaccounts'], verbs: ['impersonate'] },
  {
    apiGroups: [''],
    resources: ['pods', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy'],
    verbs: WRITE,
  },
  { apiGroups: [''], resources: ['pods/eviction'], verbs: ['create'] },
  {
    apiGroups: [''],
    resources: [
      'configmaps',
      'events',
      'persistentvolumeclaims',
      'replicationcontrollers',
      'replicationcontrollers/scale',
      'secrets',
      'serviceaccounts',
      'services',
      'services/proxy',
    ],
    verbs: WRITE,
  },
  { apiGroups: [''], resources: ['serviceaccounts/token'], verbs: ['create'] },
  {
    apiGroups: ['apps'],
    resources: [
      'daemonsets',
      'deployments',
      'deployments/rollback',
      'deployments/scale',
      'replicasets',
      'replicasets/scale',
      'statefulsets',
      'statefulsets/scale',
    ],
    verbs: WRITE,
  },
  { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: WRITE },
  { apiGroups: ['batch'], resources: ['cronjobs', 'jobs'], verbs: WRITE },
  {
    apiGroups: ['extensions'],
    resources: [
      'daemonsets',
      'deployments',
      'deployments/rollback',
      'deployments/scale',
      'ingresses',
      'networkpolicies',
      'replicasets',
      'replicasets/scale',
      'replicationcontrollers/scale',
    ],
    verbs: WRITE,
  },
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: WRITE },
  { apiGroups: ['networking.k8s.io'], resources: ['ingresses', 'networkpolicies'], verbs: WRITE },
];

const ADMIN_ONLY: readonly PolicyRule[] = [
  { apiGroups: ['authorization.k8s.io'], resources: ['localsubjectaccessreviews'], verbs: ['create'] },
  {
    apiGroups: ['rbac.authorization.k8s.io'],
    resources: ['rolebindings', 'roles'],
    verbs: [...READ, ...WRITE],
  },
];

const EVERYTHING: readonly PolicyRule[] = [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }];

/** What every authenticated identity may do (Kubernetes' system:basic-user ClusterRole), on EKS too. */
export const BASIC_USER_RULES: readonly PolicyRule[] = [
  {
    apiGroups: ['authorization.k8s.io'],
    resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'],
    verbs: ['create'],
  },
  { apiGroups: ['authentication.k8s.io'], resources: ['selfsubjectreviews'], verbs: ['create'] },
];

export const POLICY_RULES: Record<AccessPolicy, readonly PolicyRule[]> = {
  view: VIEW,
  edit: [...VIEW, ...EDIT_ONLY],
  admin: [...VIEW, ...EDIT_ONLY, ...ADMIN_ONLY],
  'cluster-admin': EVERYTHING,
};

const matches = (values: readonly string[], value: string): boolean =>
  values.includes('*') || values.includes(value);

/** Whether any rule allows the verb on the resource (`plural` or `plural/subresource`) of the group. */
export function rulesAllow(
  rules: readonly PolicyRule[],
  group: string,
  resource: string,
  verb: string,
): boolean {
  return rules.some(
    (r) => matches(r.apiGroups, group) && matches(r.resources, resource) && matches(r.verbs, verb),
  );
}

/** The narrowest of view, edit and admin whose rules allow the verb; undefined when none does. */
export function leastPolicyAllowing(
  group: string,
  resource: string,
  verb: string,
): Exclude<AccessPolicy, 'cluster-admin'> | undefined {
  for (const policy of ['view', 'edit', 'admin'] as const)
    if (rulesAllow(POLICY_RULES[policy], group, resource, verb)) return policy;
  return undefined;
}
