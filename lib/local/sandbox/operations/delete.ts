import { type ApiCore, hasFinalizers } from '../core';
import { badRequest, conflict } from '../errors';
import { isObj, metaOf, nowIso, str } from '../objects';
import type { ResourceType } from '../registry';
import type { Obj } from '../schema';
import { identity } from '../store';
import { selectObjects } from './read';
import { isDryRun, type OperationResult, type ResourceRequest, requireName } from './request';

export type PropagationPolicy = 'Orphan' | 'Background' | 'Foreground';

interface DeleteOptions {
  readonly propagation: PropagationPolicy;
  readonly dryRun: boolean;
  readonly preconditionUid: string | undefined;
  readonly preconditionRv: string | undefined;
}

function parseDeleteOptions(request: ResourceRequest, body: unknown): DeleteOptions {
  const opts = isObj(body) ? body : {};
  const preconditions = isObj(opts.preconditions) ? opts.preconditions : {};
  const fromBody = str(opts.propagationPolicy);
  const fromQuery = request.query.get('propagationPolicy') ?? undefined;
  let propagation = (fromBody ?? fromQuery ?? 'Background') as PropagationPolicy;
  if (opts.orphanDependents === true || request.query.get('orphanDependents') === 'true')
    propagation = 'Orphan';
  if (!['Orphan', 'Background', 'Foreground'].includes(propagation)) {
    throw badRequest(
      `propagationPolicy: Unsupported value: "${propagation}": supported values: "Foreground", "Background", "Orphan"`,
    );
  }
  const dryRunBody = Array.isArray(opts.dryRun) && opts.dryRun.includes('All');
  return {
    propagation,
    dryRun: dryRunBody || isDryRun(request.query),
    preconditionUid: str(preconditions.uid),
    preconditionRv: str(preconditions.resourceVersion),
  };
}

export function deleteObject(core: ApiCore, request: ResourceRequest, body: unknown): OperationResult {
  const name = requireName(request);
  const options = parseDeleteOptions(request, body);
  const live = core.mustGet(request.rt, request.namespace, name);
  const meta = metaOf(live);
  if (options.preconditionUid && options.preconditionUid !== meta.uid) {
    throw conflict(
      request.rt,
      name,
      `Precondition failed: UID in precondition: ${options.preconditionUid}, UID in object meta: ${String(meta.uid)}`,
    );
  }
  if (options.preconditionRv && options.preconditionRv !== meta.resourceVersion) {
    throw conflict(
      request.rt,
      name,
      `Precondition failed: ResourceVersion in precondition: ${options.preconditionRv}, ResourceVersion in object meta: ${String(meta.resourceVersion)}`,
    );
  }
  return { status: 200, body: removeOrMark(core, request.rt, live, options) };
}

export function deleteCollection(core: ApiCore, request: ResourceRequest, body: unknown): OperationResult {
  const options = parseDeleteOptions(request, body);
  const items = selectObjects(core, request).map((o) => removeOrMark(core, request.rt, o, options));
  return {
    status: 200,
    body: {
      kind: request.rt.listKind,
      apiVersion: request.rt.group ? `${request.rt.group}/${request.rt.version}` : request.rt.version,
      metadata: {},
      items,
    },
  };
}

/**
 * Deletes an object now, or marks it for deletion when finalizers (or, for a Namespace,
 * its contents) hold it: then the controller or a later update finishes the job.
 */
export function removeOrMark(
  core: ApiCore,
  rt: ResourceType,
  live: Obj,
  options: Pick<DeleteOptions, 'propagation' | 'dryRun'>,
): Obj {
  const meta = metaOf(live);
  const isNamespace = rt.group === '' && rt.plural === 'namespaces';
  if (isNamespace || hasFinalizers(live)) {
    if (meta.deletionTimestamp) return live;
    const marked: Obj = {
      ...live,
      metadata: { ...meta, deletionTimestamp: nowIso(), deletionGracePeriodSeconds: 0 },
    };
    if (isNamespace) marked.status = { ...(isObj(live.status) ? live.status : {}), phase: 'Terminating' };
    if (options.dryRun) return marked;
    return core.persist(rt, live, marked, { dryRun: false, markDeletion: true });
  }
  if (options.dryRun) return live;
  const { namespace, name } = identity(live);
  const removed = core.store.remove(core.resourceKey(rt), namespace, name) ?? live;
  if (rt.group === 'apiextensions.k8s.io' && rt.plural === 'customresourcedefinitions')
    core.unregisterCrd(live);
  collectDependents(core, str(meta.uid) ?? '', options.propagation);
  return removed;
}

/** Garbage collection of objects whose ownerReferences point at a deleted uid. */
function collectDependents(core: ApiCore, uid: string, propagation: PropagationPolicy): void {
  if (!uid) return;
  const dependents: [ResourceType, Obj][] = [];
  for (const [resource, object] of core.store.withOwners()) {
    const refs = metaOf(object).ownerReferences;
    if (!Array.isArray(refs) || !refs.some((r) => isObj(r) && r.uid === uid)) continue;
    const [group = '', plural = ''] = resource.split('/');
    const rt = core.registry.anyVersion(group, plural);
    if (rt) dependents.push([rt, object]);
  }
  for (const [rt, object] of dependents) {
    if (propagation === 'Orphan') {
      const meta = metaOf(object);
      const refs = (meta.ownerReferences as unknown[]).filter((r) => !(isObj(r) && r.uid === uid));
      const next = { ...object, metadata: { ...meta, ownerReferences: refs.length > 0 ? refs : undefined } };
      if (refs.length === 0) delete (next.metadata as Obj).ownerReferences;
      core.persist(rt, object, next, { dryRun: false });
    } else {
      removeOrMark(core, rt, object, { propagation, dryRun: false });
    }
  }
}
