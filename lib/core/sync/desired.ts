import {
  ADOPT_ANNOTATION,
  APP_LABEL,
  formatId,
  idOf,
  isObj,
  type KubeObject,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  type ObjectId,
  subjectOf,
} from '../manifests';
import type { RenderedManifest } from '../render';
import { DesiredStateError, PolicyError } from './errors';
import type { ClusterPort, ResourceInfo } from './ports';
import { crdScopes, knownScope } from './scope';

/** What the deployment (or the CLI flags) allows an app to touch: the trust boundary of DESIGN.md. */
export interface AllowList {
  /** Namespaces objects may live in; undefined allows any. */
  readonly namespaces?: readonly string[];
  /** Whether cluster-scoped kinds may be applied (a Namespace named in `namespaces` always may). */
  readonly clusterScoped: boolean;
  /** Kinds refused outright: `Kind` (any group) or `Kind.group`. */
  readonly deniedKinds?: readonly string[];
}

export const ALLOW_ALL: AllowList = { clusterScoped: true };

export interface DesiredObject {
  readonly object: KubeObject;
  readonly id: ObjectId;
  readonly namespaced: boolean;
  readonly source: RenderedManifest['source'] | undefined;
}

export interface DesiredOptions {
  readonly app: string;
  /** The app's default namespace, set on namespaced objects that name none. */
  readonly namespace: string;
  readonly allow: AllowList;
}

const APP_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Whether `app` may name an app: a DNS label, as its label value, field manager and inventory name need. */
export function isAppName(app: string): boolean {
  return APP_NAME.test(app) && app.length <= 63;
}

function where(m: RenderedManifest): string {
  return `${m.source.file} (document ${m.source.document})`;
}

function kindName(object: KubeObject): string {
  const slash = object.apiVersion.indexOf('/');
  return slash < 0 ? object.kind : `${object.kind}.${object.apiVersion.slice(0, slash)}`;
}

/** Policy checks that need the object's scope; throws PolicyError naming the object and its source. */
function checkPolicy(m: RenderedManifest, namespaced: boolean, options: DesiredOptions): void {
  const { object } = m;
  const { allow } = options;
  const denied = allow.deniedKinds ?? [];
  if (denied.includes(object.kind) || denied.includes(kindName(object))) {
    throw new PolicyError(`${where(m)}: kind ${kindName(object)} is denied for app ${options.app}`);
  }
  const allowedNs = allow.namespaces;
  if (namespaced) {
    const ns = object.metadata.namespace ?? options.namespace;
    if (allowedNs && !allowedNs.includes(ns)) {
      throw new PolicyError(
        `${where(m)}: namespace "${ns}" of ${object.kind}/${object.metadata.name} is not allowed (allowed: ${allowedNs.join(', ') || 'none'})`,
      );
    }
    return;
  }
  if (allow.clusterScoped) return;
  const isOwnNamespace =
    object.kind === 'Namespace' && object.apiVersion === 'v1' && allowedNs?.includes(object.metadata.name);
  if (!isOwnNamespace) {
    throw new PolicyError(
      `${where(m)}: cluster-scoped ${kindName(object)}/${object.metadata.name} is not allowed for app ${options.app}`,
    );
  }
}

/**
 * The desired state of an app: scopes resolved (built-ins and the app's own CRDs without a
 * request, other kinds by discovery), the allow-list enforced, default namespace and labels set.
 * Every check that needs no discovery runs before the first request.
 */
export async function prepareDesired(
  manifests: readonly RenderedManifest[],
  cluster: Pick<ClusterPort, 'resource'>,
  options: DesiredOptions,
): Promise<DesiredObject[]> {
  if (!isAppName(options.app)) {
    throw new DesiredStateError(
      `invalid app name "${options.app}": use lowercase letters, digits and '-' (at most 63)`,
    );
  }
  const crds = crdScopes(manifests.map((m) => m.object));
  const scopes: (boolean | undefined)[] = manifests.map((m) => knownScope(m.object, crds));
  manifests.forEach((m, i) => {
    const scope = scopes[i];
    if (scope !== undefined) checkPolicy(m, scope, options);
  });
  for (const [i, m] of manifests.entries()) {
    if (scopes[i] !== undefined) continue;
    const resource: ResourceInfo | undefined = await cluster.resource(m.object.apiVersion, m.object.kind);
    if (!resource) {
      throw new DesiredStateError(
        `${where(m)}: the cluster does not serve ${m.object.kind} in ${m.object.apiVersion} and no CRD in the app declares it`,
      );
    }
    scopes[i] = resource.namespaced;
    checkPolicy(m, resource.namespaced, options);
  }
  const seen = new Map<string, RenderedManifest>();
  return manifests.map((m, i) => {
    const namespaced = scopes[i] === true;
    const object = withDefaults(m, namespaced, options);
    const id = idOf(object);
    const key = formatId(id);
    const first = seen.get(key);
    if (first)
      throw new DesiredStateError(`${subjectOf(id)} is declared twice: ${where(first)} and ${where(m)}`);
    seen.set(key, m);
    return { object, id, namespaced, source: m.source };
  });
}

function withDefaults(m: RenderedManifest, namespaced: boolean, options: DesiredOptions): KubeObject {
  const { object } = m;
  const labels: Record<string, string> = { ...(isObj(object.metadata.labels) ? object.metadata.labels : {}) };
  const declaredApp = labels[APP_LABEL];
  if (declaredApp !== undefined && declaredApp !== options.app) {
    throw new DesiredStateError(
      `${where(m)}: label ${APP_LABEL}="${declaredApp}" contradicts the app name "${options.app}"`,
    );
  }
  const adopt: unknown = object.metadata.annotations?.[ADOPT_ANNOTATION];
  if (adopt !== undefined && (typeof adopt !== 'string' || !APP_NAME.test(adopt)))
    throw new DesiredStateError(
      `${where(m)}: annotation ${ADOPT_ANNOTATION} must name an app, not ${JSON.stringify(adopt)}`,
    );
  labels[MANAGED_BY_LABEL] = MANAGED_BY_VALUE;
  labels[APP_LABEL] = options.app;
  const metadata = { ...object.metadata, labels };
  if (namespaced) metadata.namespace = object.metadata.namespace ?? options.namespace;
  else delete metadata.namespace;
  return { ...object, metadata };
}
