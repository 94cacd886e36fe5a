import { EventEmitter } from 'node:events';
import type { Obj } from './schema';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  readonly type: WatchEventType;
  /** `group/plural`, the key objects are stored under whatever version served them. */
  readonly resource: string;
  readonly namespace: string;
  readonly object: Obj;
  /** The object before the change (MODIFIED and DELETED), for watches with selectors. */
  readonly previous: Obj | undefined;
  readonly resourceVersion: number;
}

const HISTORY = 4096;

/**
 * The objects of the sandbox, in memory. Stored objects are never mutated: every write
 * stores a new object, so readers may serialise what they get without copying.
 */
export class ObjectStore {
  private readonly resources = new Map<string, Map<string, Obj>>();
  private revision = 0;
  private readonly history: StoreEvent[] = [];
  /** Keys (`resource|namespace/name`) of objects with ownerReferences: garbage collection scans only these. */
  private readonly owned = new Set<string>();
  readonly events = new EventEmitter();

  constructor() {
    this.events.setMaxListeners(0);
  }

  get resourceVersion(): number {
    return this.revision;
  }

  /** The oldest revision a watch can resume from (older ones are 410 Gone). */
  get oldestWatchable(): number {
    return this.history[0] ? this.history[0].resourceVersion - 1 : this.revision;
  }

  nextResourceVersion(): number {
    this.revision += 1;
    return this.revision;
  }

  get(resource: string, namespace: string, name: string): Obj | undefined {
    return this.resources.get(resource)?.get(objectKey(namespace, name));
  }

  /** Objects of a resource sorted by namespace then name; all namespaces when `namespace` is undefined. */
  list(resource: string, namespace?: string): Obj[] {
    const objects = this.resources.get(resource);
    if (!objects) return [];
    const out: Obj[] = [];
    const keys = [...objects.keys()].sort();
    for (const key of keys) {
      if (namespace !== undefined && !key.startsWith(`${namespace}/`)) continue;
      out.push(objects.get(key)!);
    }
    return out;
  }

  /** Stores an object whose metadata.resourceVersion was set from nextResourceVersion(). */
  put(resource: string, object: Obj): void {
    const { namespace, name } = identity(object);
    let objects = this.resources.get(resource);
    if (!objects) {
      objects = new Map();
      this.resources.set(resource, objects);
    }
    const key = objectKey(namespace, name);
    const previous = objects.get(key);
    objects.set(key, object);
    const refs = (object.metadata as Obj | undefined)?.ownerReferences;
    if (Array.isArray(refs) && refs.length > 0) this.owned.add(`${resource}|${key}`);
    else this.owned.delete(`${resource}|${key}`);
    this.emit({ type: previous ? 'MODIFIED' : 'ADDED', resource, namespace, object, previous });
  }

  /** Removes an object; the DELETED event carries it with a fresh resourceVersion. */
  remove(resource: string, namespace: string, name: string): Obj | undefined {
    const objects = this.resources.get(resource);
    const key = objectKey(namespace, name);
    const previous = objects?.get(key);
    if (!objects || !previous) return undefined;
    objects.delete(key);
    this.owned.delete(`${resource}|${key}`);
    const rv = this.nextResourceVersion();
    const meta = (previous.metadata ?? {}) as Obj;
    const object = { ...previous, metadata: { ...meta, resourceVersion: String(rv) } };
    this.emit({ type: 'DELETED', resource, namespace, object, previous });
    return object;
  }

  /** Drops a whole resource (a deleted CRD), emitting DELETED for each object. */
  dropResource(resource: string): void {
    for (const object of this.list(resource)) {
      const { namespace, name } = identity(object);
      this.remove(resource, namespace, name);
    }
    this.resources.delete(resource);
  }

  /** Objects that have ownerReferences, with the resource they are stored under. */
  *withOwners(): Generator<[string, Obj]> {
    for (const entry of [...this.owned]) {
      const bar = entry.indexOf('|');
      const resource = entry.slice(0, bar);
      const object = this.resources.get(resource)?.get(entry.slice(bar + 1));
      if (object) yield [resource, object];
    }
  }

  resourceNames(): string[] {
    return [...this.resources.keys()];
  }

  /** Events after `resourceVersion`, oldest first, or undefined when history no longer reaches it. */
  since(resourceVersion: number): StoreEvent[] | undefined {
    if (resourceVersion < this.oldestWatchable) return undefined;
    return this.history.filter((e) => e.resourceVersion > resourceVersion);
  }

  private emit(partial: Omit<StoreEvent, 'resourceVersion'>): void {
    const meta = (partial.object.metadata ?? {}) as Obj;
    const event: StoreEvent = { ...partial, resourceVersion: Number(meta.resourceVersion ?? this.revision) };
    this.history.push(event);
    if (this.history.length > HISTORY) this.history.shift();
    this.events.emit('event', event);
  }
}

export function identity(object: Obj): { namespace: string; name: string } {
  const meta = (object.metadata ?? {}) as Obj;
  return {
    namespace: typeof meta.namespace === 'string' ? meta.namespace : '',
    name: typeof meta.name === 'string' ? meta.name : '',
  };
}

function objectKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}
