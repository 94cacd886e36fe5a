import { APP_LABEL, formatId, idOf, type KubeObject, type ObjectId } from '../manifests';
import { mapPool } from './pool';
import type { ClusterPort, ResourceInfo } from './ports';

export interface ListTarget {
  readonly resource: ResourceInfo;
  /** undefined for cluster-scoped kinds. */
  readonly namespace: string | undefined;
}

export function targetKey(resource: ResourceInfo, namespace: string | undefined): string {
  return `${resource.group}/${resource.kind}/${namespace ?? ''}`;
}

/** One list target per (kind, namespace): the O(kinds × namespaces) read of DESIGN.md. */
export function listTargets(entries: readonly { resource: ResourceInfo; id: ObjectId }[]): ListTarget[] {
  const targets = new Map<string, ListTarget>();
  for (const { resource, id } of entries) {
    const namespace = resource.namespaced ? id.namespace : undefined;
    targets.set(targetKey(resource, namespace), { resource, namespace });
  }
  return [...targets.values()];
}

export function appSelector(app: string): string {
  return `${APP_LABEL}=${app}`;
}

/** The live objects of an app, read with one label-selected list per (kind, namespace). */
export class LiveState {
  private readonly byId = new Map<string, KubeObject>();

  private constructor(objects: readonly KubeObject[]) {
    for (const object of objects) this.byId.set(formatId(idOf(object)), object);
  }

  static async read(
    cluster: ClusterPort,
    targets: readonly ListTarget[],
    app: string,
    concurrency: number,
  ): Promise<LiveState> {
    const lists = await mapPool(targets, concurrency, (t) =>
      cluster.list(t.resource, t.namespace, appSelector(app)),
    );
    const objects: KubeObject[] = [];
    for (const result of lists) {
      if (result.status === 'rejected') throw result.reason;
      objects.push(...result.value);
    }
    return new LiveState(objects);
  }

  get(id: ObjectId): KubeObject | undefined {
    return this.byId.get(formatId(id));
  }

  all(): KubeObject[] {
    return [...this.byId.values()];
  }
}
