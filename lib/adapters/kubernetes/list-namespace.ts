import { isObj, type KubeObject } from '../../core/manifests';
import { ClusterApiError, type ClusterPort, type ResourceInfo } from '../../core/sync/ports';
import type { KubeHttp } from './http';

interface ApiResource {
  name?: unknown;
  kind?: unknown;
  namespaced?: unknown;
  verbs?: unknown;
}

/** Lists at a time: a namespace check runs only before a Namespace is pruned. */
const CONCURRENCY = 8;

/**
 * Every namespaced, listable resource the cluster serves (each group's preferred version, as
 * `kubectl api-resources --namespaced --verbs=list` shows them).
 */
async function namespacedResources(http: KubeHttp): Promise<ResourceInfo[]> {
  const groupVersions = ['v1'];
  const { body: groups } = await http.send({ method: 'GET', path: '/apis' });
  for (const g of isObj(groups) && Array.isArray(groups.groups) ? groups.groups : []) {
    const preferred = isObj(g) && isObj(g.preferredVersion) ? g.preferredVersion.groupVersion : undefined;
    if (typeof preferred === 'string') groupVersions.push(preferred);
  }
  const out: ResourceInfo[] = [];
  for (const gv of groupVersions) {
    const slash = gv.indexOf('/');
    const group = slash < 0 ? '' : gv.slice(0, slash);
    const version = slash < 0 ? gv : gv.slice(slash + 1);
    let body: unknown;
    try {
      ({ body } = await http.send({ method: 'GET', path: group ? `/apis/${gv}` : `/api/${gv}` }));
    } catch (err: unknown) {
      // A group-version gone between the two requests (a CRD deleted) holds nothing.
      if (err instanceof ClusterApiError && err.code === 404) continue;
      throw err;
    }
    const resources = isObj(body) && Array.isArray(body.resources) ? (body.resources as ApiResource[]) : [];
    for (const r of resources) {
      if (typeof r.name !== 'string' || r.name.includes('/') || typeof r.kind !== 'string') continue;
      if (r.namespaced !== true || !Array.isArray(r.verbs) || !r.verbs.includes('list')) continue;
      out.push({ group, version, kind: r.kind, plural: r.name, namespaced: true });
    }
  }
  return out;
}

/** Every object in a namespace, one unselected list per namespaced kind. */
export async function listNamespace(
  cluster: Pick<ClusterPort, 'list'>,
  http: KubeHttp,
  namespace: string,
): Promise<KubeObject[]> {
  const resources = await namespacedResources(http);
  const out: KubeObject[] = [];
  for (let i = 0; i < resources.length; i += CONCURRENCY) {
    const lists = await Promise.all(
      resources.slice(i, i + CONCURRENCY).map(async (resource) => {
        try {
          return await cluster.list(resource, namespace, '');
        } catch (err: unknown) {
          // A kind whose CRD went away since discovery holds nothing.
          if (err instanceof ClusterApiError && err.code === 404) return [];
          throw err;
        }
      }),
    );
    for (const list of lists) out.push(...list);
  }
  return out;
}
