import { FIELD_MANAGER, groupOf, isObj, type KubeObject } from '../../core/manifests';
import {
  type AccessCheck,
  type ApplyOptions,
  type ApplyResult,
  ClusterApiError,
  type ClusterPort,
  type JsonPatchOperation,
  type ResourceInfo,
} from '../../core/sync/ports';
import { AccessReviews } from './access-review';
import type { KubeHttp } from './http';
import { listNamespace } from './list-namespace';

interface ApiResource {
  name?: unknown;
  kind?: unknown;
  namespaced?: unknown;
}

function basePath(resource: ResourceInfo): string {
  return resource.group ? `/apis/${resource.group}/${resource.version}` : `/api/${resource.version}`;
}

/** The path of a resource collection, or of one object when `name` is given. */
export function resourcePath(resource: ResourceInfo, namespace: string | undefined, name?: string): string {
  const ns = resource.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  const tail = name === undefined ? '' : `/${encodeURIComponent(name)}`;
  return `${basePath(resource)}${ns}/${resource.plural}${tail}`;
}

/**
 * The Kubernetes API as the engine's ClusterPort: discovery (one request per group-version,
 * cached until refreshDiscovery), label-selected lists, server-side apply, delete.
 */
export class KubernetesCluster implements ClusterPort {
  private readonly discovery = new Map<string, Promise<Map<string, ResourceInfo> | undefined>>();
  /** Group → its group-versions, the preferred one first. */
  private readonly preferred = new Map<string, Promise<string[]>>();
  private readonly reviews: AccessReviews;

  constructor(
    private readonly http: KubeHttp,
    private readonly fieldManager = FIELD_MANAGER,
  ) {
    this.reviews = new AccessReviews(http);
  }

  reviewAccess(check: AccessCheck): Promise<boolean | undefined> {
    return this.reviews.review(check);
  }

  async resource(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    let cached = this.discovery.get(apiVersion);
    if (!cached) {
      cached = this.discover(apiVersion);
      this.discovery.set(apiVersion, cached);
      // A failed discovery is not cached: the next call asks again.
      cached.catch(() => this.discovery.delete(apiVersion));
    }
    return (await cached)?.get(kind);
  }

  /**
   * The preferred version's resource for a group's kind, else the first other version that serves
   * it: one group's CRDs may serve different versions (monitoring.coreos.com prefers v1, but its
   * AlertmanagerConfig is v1alpha1 only), and an id that no version resolves would never be pruned.
   */
  async resourceFor(group: string, kind: string): Promise<ResourceInfo | undefined> {
    if (group === '') return this.resource('v1', kind);
    let versions = this.preferred.get(group);
    if (!versions) {
      versions = this.http
        .send({ method: 'GET', path: `/apis/${group}` })
        .then(({ body }) => groupVersions(body))
        .catch((err: unknown) => {
          if (err instanceof ClusterApiError && err.code === 404) return [];
          throw err;
        });
      this.preferred.set(group, versions);
      versions.catch(() => this.preferred.delete(group));
    }
    for (const groupVersion of await versions) {
      const resource = await this.resource(groupVersion, kind);
      if (resource) return resource;
    }
    return undefined;
  }

  refreshDiscovery(apiVersion?: string): void {
    if (apiVersion === undefined) {
      this.discovery.clear();
      this.preferred.clear();
      return;
    }
    this.discovery.delete(apiVersion);
    this.preferred.delete(groupOf(apiVersion));
  }

  private async discover(apiVersion: string): Promise<Map<string, ResourceInfo> | undefined> {
    const group = groupOf(apiVersion);
    const version = group ? apiVersion.slice(group.length + 1) : apiVersion;
    let body: unknown;
    try {
      ({ body } = await this.http.send({
        method: 'GET',
        path: group ? `/apis/${group}/${version}` : `/api/${version}`,
      }));
    } catch (err: unknown) {
      if (err instanceof ClusterApiError && err.code === 404) return undefined;
      throw err;
    }
    const kinds = new Map<string, ResourceInfo>();
    const resources = isObj(body) && Array.isArray(body.resources) ? (body.resources as ApiResource[]) : [];
    for (const r of resources) {
      if (typeof r.name !== 'string' || r.name.includes('/') || typeof r.kind !== 'string') continue;
      kinds.set(r.kind, { group, version, kind: r.kind, plural: r.name, namespaced: r.namespaced === true });
    }
    return kinds;
  }

  async list(
    resource: ResourceInfo,
    namespace: string | undefined,
    labelSelector: string,
  ): Promise<KubeObject[]> {
    const items: KubeObject[] = [];
    let cont: string | undefined;
    do {
      const { body } = await this.http.send({
        method: 'GET',
        path: resourcePath(resource, namespace),
        query: { labelSelector, limit: '500', continue: cont },
      });
      const list = isObj(body) ? body : {};
      const apiVersion = resource.group ? `${resource.group}/${resource.version}` : resource.version;
      for (const item of Array.isArray(list.items) ? list.items : []) {
        // List items may omit apiVersion and kind; put them back so ids are complete.
        if (isObj(item)) items.push({ ...item, apiVersion, kind: resource.kind } as KubeObject);
      }
      const meta = isObj(list.metadata) ? list.metadata : {};
      cont = typeof meta.continue === 'string' && meta.continue !== '' ? meta.continue : undefined;
    } while (cont);
    return items;
  }

  async get(resource: ResourceInfo, namespace: string, name: string): Promise<KubeObject | undefined> {
    try {
      const { body } = await this.http.send({ method: 'GET', path: resourcePath(resource, namespace, name) });
      return body as KubeObject;
    } catch (err: unknown) {
      if (err instanceof ClusterApiError && err.code === 404) return undefined;
      throw err;
    }
  }

  async apply(resource: ResourceInfo, object: KubeObject, options: ApplyOptions): Promise<ApplyResult> {
    const { status, body, warnings } = await this.http.send({
      method: 'PATCH',
      path: resourcePath(resource, object.metadata.namespace, object.metadata.name),
      query: {
        fieldManager: options.fieldManager ?? this.fieldManager,
        force: options.force ? 'true' : 'false',
        // As kubectl does by default: a field the schema does not know (a typo) fails the object,
        // where the server's default (Warn) would drop it and it would show as drift forever.
        fieldValidation: 'Strict',
        ...(options.dryRun ? { dryRun: 'All' } : {}),
      },
      body: object,
      contentType: 'application/apply-patch+yaml',
    });
    return {
      object: body as KubeObject,
      created: status === 201,
      ...(warnings.length > 0 ? { warnings } : {}),
    };
  }

  async patch(
    resource: ResourceInfo,
    namespace: string,
    name: string,
    operations: readonly JsonPatchOperation[],
    options: { readonly dryRun: boolean; readonly fieldManager?: string },
  ): Promise<KubeObject> {
    const { body } = await this.http.send({
      method: 'PATCH',
      path: resourcePath(resource, namespace, name),
      query: {
        fieldManager: options.fieldManager ?? this.fieldManager,
        ...(options.dryRun ? { dryRun: 'All' } : {}),
      },
      body: operations,
      contentType: 'application/json-patch+json',
    });
    return body as KubeObject;
  }

  async create(
    resource: ResourceInfo,
    object: KubeObject,
    options: { readonly dryRun: boolean },
  ): Promise<KubeObject> {
    const { body } = await this.http.send({
      method: 'POST',
      path: resourcePath(resource, object.metadata.namespace),
      query: { fieldManager: this.fieldManager, ...(options.dryRun ? { dryRun: 'All' } : {}) },
      body: object,
    });
    return body as KubeObject;
  }

  async replace(
    resource: ResourceInfo,
    object: KubeObject,
    options: { readonly dryRun: boolean },
  ): Promise<KubeObject> {
    const { body } = await this.http.send({
      method: 'PUT',
      path: resourcePath(resource, object.metadata.namespace, object.metadata.name),
      query: { fieldManager: this.fieldManager, ...(options.dryRun ? { dryRun: 'All' } : {}) },
      body: object,
    });
    return body as KubeObject;
  }

  async listNamespace(namespace: string): Promise<KubeObject[]> {
    return listNamespace(this, this.http, namespace);
  }

  async remove(
    resource: ResourceInfo,
    namespace: string,
    name: string,
    options: { readonly dryRun: boolean; readonly resourceVersion?: string; readonly uid?: string },
  ): Promise<boolean> {
    try {
      await this.http.send({
        method: 'DELETE',
        path: resourcePath(resource, namespace, name),
        query: options.dryRun ? { dryRun: 'All' } : {},
        body: {
          kind: 'DeleteOptions',
          apiVersion: 'v1',
          propagationPolicy: 'Background',
          ...(options.resourceVersion || options.uid
            ? {
                preconditions: {
                  ...(options.resourceVersion ? { resourceVersion: options.resourceVersion } : {}),
                  ...(options.uid ? { uid: options.uid } : {}),
                },
              }
            : {}),
        },
      });
      return true;
    } catch (err: unknown) {
      if (err instanceof ClusterApiError && err.code === 404) return false;
      throw err;
    }
  }
}

/** An APIGroup's group-versions, the preferred one first. */
function groupVersions(body: unknown): string[] {
  if (!isObj(body)) return [];
  const preferred = isObj(body.preferredVersion) ? body.preferredVersion.groupVersion : undefined;
  const all = Array.isArray(body.versions)
    ? body.versions.flatMap((v) => (isObj(v) && typeof v.groupVersion === 'string' ? [v.groupVersion] : []))
    : [];
  const first = typeof preferred === 'string' ? [preferred] : [];
  return [...first, ...all.filter((v) => v !== preferred)];
}
