import type { ApiCore } from '../core';
import { badRequest } from '../errors';
import { isObj, metaOf } from '../objects';
import type { Obj } from '../schema';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from '../selectors';
import { apiVersionOf, type OperationResult, type ResourceRequest, requireName } from './request';

export function getObject(core: ApiCore, request: ResourceRequest): OperationResult {
  return { status: 200, body: core.mustGet(request.rt, request.namespace, requireName(request)) };
}

interface ContinueToken {
  readonly rv: number;
  readonly after: string;
}

function decodeContinue(token: string): ContinueToken {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (isObj(parsed) && typeof parsed.rv === 'number' && typeof parsed.after === 'string') {
      return { rv: parsed.rv, after: parsed.after };
    }
  } catch {
    // fall through to the error below
  }
  throw badRequest('continue key is not valid: invalid continue token');
}

function objectSortKey(object: Obj): string {
  const meta = metaOf(object);
  return `${String(meta.namespace ?? '')}/${String(meta.name ?? '')}`;
}

/** Objects matching the request's namespace and selectors (used by list, watch and deletecollection). */
export function selectObjects(core: ApiCore, request: ResourceRequest): Obj[] {
  const labels = parseLabelSelector(request.query.get('labelSelector') ?? '');
  const fields = parseFieldSelector(request.query.get('fieldSelector') ?? '');
  const namespace = request.rt.namespaced && request.namespace ? request.namespace : undefined;
  return core.store
    .list(core.resourceKey(request.rt), namespace)
    .filter((o) => matchesLabels(labels, metaOf(o).labels as Record<string, string> | undefined))
    .filter((o) => matchesFields(fields, o));
}

export function listObjects(core: ApiCore, request: ResourceRequest): OperationResult {
  const { rt, query } = request;
  const limitParam = query.get('limit');
  const limit = limitParam ? Number.parseInt(limitParam, 10) : 0;
  if (limitParam && (!Number.isFinite(limit) || limit < 0)) throw badRequest(`invalid limit "${limitParam}"`);
  const continueParam = query.get('continue');
  const token = continueParam ? decodeContinue(continueParam) : undefined;
  let items = selectObjects(core, request);
  if (token) items = items.filter((o) => objectSortKey(o) > token.after);
  const metadata: Obj = { resourceVersion: String(token?.rv ?? core.store.resourceVersion) };
  if (limit > 0 && items.length > limit) {
    const page = items.slice(0, limit);
    const last = page[page.length - 1];
    metadata.continue = Buffer.from(
      JSON.stringify({ rv: token?.rv ?? core.store.resourceVersion, after: last ? objectSortKey(last) : '' }),
    ).toString('base64url');
    metadata.remainingItemCount = items.length - limit;
    items = page;
  }
  return {
    status: 200,
    body: {
      kind: rt.listKind,
      apiVersion: apiVersionOf(rt),
      metadata,
      items: items.map((o) => core.asVersion(rt, o)),
    },
  };
}
