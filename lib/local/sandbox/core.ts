import { crdResourceTypes, crdStatus } from './crds';
import { applyDefaults } from './defaults';
import { ApiStatusError, notFound } from './errors';
import { deepEqual, isObj, metaOf, newUid, nowIso, specPart, str } from './objects';
import { Registry, type ResourceType } from './registry';
import type { Obj } from './schema';
import { identity, ObjectStore } from './store';
import { validateObject, validateUpdate } from './validation';

export interface WriteOptions {
  readonly dryRun: boolean;
  /** Set by delete only: the candidate's deletionTimestamp marks the object for deletion. */
  readonly markDeletion?: boolean;
}

/** The state of the sandbox API: registry of kinds, object store, and the write pipeline every verb shares. */
export class ApiCore {
  readonly registry = new Registry();
  readonly store = new ObjectStore();

  resourceKey(rt: ResourceType): string {
    return `${rt.group}/${rt.plural}`;
  }

  /** The stored object as the requested version serves it. */
  get(rt: ResourceType, namespace: string, name: string): Obj | undefined {
    const object = this.store.get(this.resourceKey(rt), rt.namespaced ? namespace : '', name);
    return object ? this.asVersion(rt, object) : undefined;
  }

  mustGet(rt: ResourceType, namespace: string, name: string): Obj {
    const object = this.get(rt, namespace, name);
    if (!object) throw notFound(rt, name);
    return object;
  }

  asVersion(rt: ResourceType, object: Obj): Obj {
    const apiVersion = rt.group ? `${rt.group}/${rt.version}` : rt.version;
    if (object.apiVersion === apiVersion && object.kind === rt.kind) return object;
    return { ...object, apiVersion, kind: rt.kind };
  }

  /** Namespaced creates need an existing namespace that is not terminating. */
  checkNamespaceWritable(rt: ResourceType, namespace: string): void {
    if (!rt.namespaced) return;
    const ns = this.store.get('/namespaces', '', namespace);
    if (!ns) {
      throw new ApiStatusError('NotFound', `namespaces "${namespace}" not found`, {
        name: namespace,
        kind: 'namespaces',
      });
    }
    if (metaOf(ns).deletionTimestamp) {
      throw new ApiStatusError(
        'Forbidden',
        `${rt.plural} "${str(metaOf(ns).name)}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
      );
    }
  }

  /**
   * Stores `next` in place of `old` (undefined for a create): defaults, validation, server-set
   * metadata, CRD registration; `dryRun` runs everything but the store. Returns the stored object.
   */
  persist(rt: ResourceType, old: Obj | undefined, candidate: Obj, options: WriteOptions): Obj {
    let next = applyDefaults(rt, this.asVersion(rt, candidate), old);
    validateObject(rt, next);
    if (old) validateUpdate(rt, old, next);
    const oldMeta = old ? metaOf(old) : undefined;
    const meta: Obj = { ...metaOf(next) };
    if (rt.namespaced) meta.namespace = str(meta.namespace) ?? '';
    else delete meta.namespace;
    meta.uid = oldMeta?.uid ?? newUid();
    meta.creationTimestamp = oldMeta?.creationTimestamp ?? nowIso();
    if (oldMeta?.deletionTimestamp) {
      meta.deletionTimestamp = oldMeta.deletionTimestamp;
      meta.deletionGracePeriodSeconds = oldMeta.deletionGracePeriodSeconds;
    } else if (!options.markDeletion) {
      delete meta.deletionTimestamp;
      delete meta.deletionGracePeriodSeconds;
    }
    const oldGeneration = typeof oldMeta?.generation === 'number' ? oldMeta.generation : 0;
    meta.generation = !old ? 1 : deepEqual(specPart(old), specPart(next)) ? oldGeneration : oldGeneration + 1;
    if (!old && !isObj(next.status) && rt.plural !== 'namespaces') delete next.status;
    next = { ...next, metadata: meta };
    if (rt.plural === 'customresourcedefinitions' && rt.group === 'apiextensions.k8s.io') {
      const types = crdResourceTypes(next);
      next = { ...next, status: crdStatus(next, nowIso(), old?.status) };
      if (!options.dryRun) this.registerCrd(str(meta.name) ?? '', types, old);
    }
    if (options.dryRun) return next;
    // A write that changes nothing is not stored: the resourceVersion stays and no watch event
    // fires, as etcd's guaranteed update skips identical objects in the real API server.
    if (old && deepEqual({ ...next, metadata: { ...meta, resourceVersion: oldMeta?.resourceVersion } }, old))
      return old;
    // Finalizers all removed from an object being deleted: it goes now.
    if (meta.deletionTimestamp && !hasFinalizers(next) && rt.plural !== 'namespaces') {
      const { namespace, name } = identity(next);
      return this.store.remove(this.resourceKey(rt), namespace, name) ?? next;
    }
    meta.resourceVersion = String(this.store.nextResourceVersion());
    this.store.put(this.resourceKey(rt), next);
    return next;
  }

  private registerCrd(name: string, types: readonly ResourceType[], old: Obj | undefined): void {
    if (old) this.registry.removeCrd(name);
    for (const type of types) this.registry.add(type);
  }

  /** Removes a CRD's kind and every object of it. */
  unregisterCrd(crd: Obj): void {
    const name = str(metaOf(crd).name) ?? '';
    const spec = isObj(crd.spec) ? crd.spec : {};
    const names = isObj(spec.names) ? spec.names : {};
    this.registry.removeCrd(name);
    this.store.dropResource(`${str(spec.group) ?? ''}/${str(names.plural) ?? ''}`);
  }

  /** Every stored object with the ResourceType that serves it (any version), for garbage collection. */
  *allObjects(): Generator<[ResourceType, Obj]> {
    for (const resource of this.store.resourceNames()) {
      const [group = '', plural = ''] = resource.split('/');
      const rt = this.registry.anyVersion(group, plural);
      if (!rt) continue;
      for (const object of this.store.list(resource)) yield [rt, object];
    }
  }
}

export function hasFinalizers(object: Obj): boolean {
  const finalizers = metaOf(object).finalizers;
  return Array.isArray(finalizers) && finalizers.length > 0;
}
