/**
 * One object, one app (DESIGN.md "Ownership"): an object that exists live labelled for another app
 * is refused unless the manifest names that app in plumbline.dev/adopt. Objects no app owns may be
 * taken over freely.
 */
import { ADOPT_ANNOTATION, APP_LABEL, formatId, idOf, type KubeObject, type ObjectId } from '../manifests';
import { type ListTarget, type LiveState, listTargets, targetKey } from './live';
import { mapPool } from './pool';
import type { ClusterPort, ResourceInfo } from './ports';

/** Objects labelled for any app but this one. */
export function foreignSelector(app: string): string {
  return `${APP_LABEL},${APP_LABEL}!=${app}`;
}

/** The app a live object is labelled for, if any. */
export function ownerOf(live: KubeObject): string | undefined {
  const owner = live.metadata.labels?.[APP_LABEL];
  return typeof owner === 'string' && owner !== '' ? owner : undefined;
}

/**
 * Why `desired` may not be applied over `foreign`, an object another app owns; undefined when its
 * plumbline.dev/adopt annotation names that very owner.
 */
export function ownershipRefusal(desired: KubeObject, foreign: KubeObject, app: string): string | undefined {
  const owner = ownerOf(foreign);
  if (owner === undefined || owner === app) return undefined;
  const adopt = desired.metadata.annotations?.[ADOPT_ANNOTATION];
  if (adopt === owner) return undefined;
  const opt = `${ADOPT_ANNOTATION}: "${owner}"`;
  if (adopt !== undefined)
    return `owned by app ${owner}, not ${adopt} as its ${ADOPT_ANNOTATION} annotation says; set ${opt} to take it over`;
  return `owned by app ${owner}; app ${app} may take it over only if its manifest sets the annotation ${opt}`;
}

/**
 * Live objects that other apps own, of the desired objects the app's own (label-selected) state
 * lacks: one list per (kind, namespace) of those only, so a re-sync where every object is already
 * the app's sends none.
 */
export class ForeignObjects {
  private constructor(private readonly byId: ReadonlyMap<string, KubeObject>) {}

  static readonly none = new ForeignObjects(new Map());

  /**
   * Lists other apps' objects where they are likely needed, before the app's own live state is
   * known: the kinds and namespaces of desired objects the inventory does not hold yet (a first
   * sync, new objects). Read alongside the app's own lists, it saves a cold apply a round trip;
   * a no-op re-sync has no such object and sends nothing.
   */
  static prefetch(
    cluster: ClusterPort,
    likelyMissing: readonly { resource: ResourceInfo; id: ObjectId }[],
    app: string,
    concurrency: number,
  ): Promise<Map<string, KubeObject[]>> {
    return ForeignObjects.listed(cluster, listTargets(likelyMissing), app, concurrency);
  }

  static async read(
    cluster: ClusterPort,
    desired: readonly { resource: ResourceInfo; id: ObjectId }[],
    live: LiveState,
    app: string,
    concurrency: number,
    prefetched: ReadonlyMap<string, KubeObject[]> = new Map(),
  ): Promise<ForeignObjects> {
    const missing = desired.filter((d) => live.get(d.id) === undefined);
    if (missing.length === 0) return ForeignObjects.none;
    const wanted = new Set(missing.map((d) => formatId(d.id)));
    const targets = listTargets(missing);
    const rest = await ForeignObjects.listed(
      cluster,
      targets.filter((t) => !prefetched.has(targetKey(t.resource, t.namespace))),
      app,
      concurrency,
    );
    const byId = new Map<string, KubeObject>();
    for (const t of targets) {
      const key = targetKey(t.resource, t.namespace);
      for (const object of prefetched.get(key) ?? rest.get(key) ?? []) {
        const id = formatId(idOf(object));
        if (wanted.has(id)) byId.set(id, object);
      }
    }
    return new ForeignObjects(byId);
  }

  private static async listed(
    cluster: ClusterPort,
    targets: readonly ListTarget[],
    app: string,
    concurrency: number,
  ): Promise<Map<string, KubeObject[]>> {
    const lists = await mapPool(targets, concurrency, (t) =>
      cluster.list(t.resource, t.namespace, foreignSelector(app)),
    );
    const out = new Map<string, KubeObject[]>();
    for (const [i, result] of lists.entries()) {
      if (result.status === 'rejected') throw result.reason;
      const t = targets[i]!;
      out.set(targetKey(t.resource, t.namespace), result.value);
    }
    return out;
  }

  get(id: ObjectId): KubeObject | undefined {
    return this.byId.get(formatId(id));
  }
}
