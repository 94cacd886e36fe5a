import type { ApiCore } from '../core';
import { asDecoded } from '../decode';
import { alreadyExists, badRequest, conflict } from '../errors';
import { generateName, isObj, metaOf, nowIso, str } from '../objects';
import type { Obj } from '../schema';
import { trackUpdate } from '../ssa';
import {
  apiVersionOf,
  fieldManager,
  isDryRun,
  type OperationResult,
  type ResourceRequest,
  requireName,
} from './request';

/** Checks a request body's apiVersion, kind and namespace against the URL it was sent to. */
export function checkBody(request: ResourceRequest, body: unknown): Obj {
  if (!isObj(body)) throw badRequest('the request body must be a JSON or YAML object');
  const { rt } = request;
  if (body.kind !== undefined && body.kind !== rt.kind) {
    throw badRequest(
      `the kind of the provided object (${String(body.kind)}) does not match the resource (${rt.kind})`,
    );
  }
  if (body.apiVersion !== undefined && body.apiVersion !== apiVersionOf(rt)) {
    throw badRequest(
      `the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${apiVersionOf(rt)})`,
    );
  }
  const meta = metaOf(body);
  if (rt.namespaced) {
    const ns = str(meta.namespace);
    if (ns && request.namespace && ns !== request.namespace) {
      throw badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
  }
  const namespace = rt.namespaced ? request.namespace || str(meta.namespace) || '' : undefined;
  // managedFields stay: a create or update may set them (FieldManager.Update); an apply may not.
  const cleaned: Obj = { ...meta };
  if (namespace !== undefined) cleaned.namespace = namespace;
  else delete cleaned.namespace;
  const object = asDecoded(rt, { ...body, apiVersion: apiVersionOf(rt), kind: rt.kind, metadata: cleaned });
  return withoutUnknownFields(request, object, Object.keys(meta));
}

const FIELD_VALIDATION = ['Ignore', 'Warn', 'Strict'];
const OBJECT_META = new Set([
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
]);

/**
 * Fields the object's schema does not declare — in metadata (ObjectMeta) for every kind, anywhere
 * for custom resources (their CRD's structural schema) — handled as the `fieldValidation`
 * parameter says: `Strict` refuses the request (400), `Warn` (the default) drops them with a
 * `Warning` header each, `Ignore` drops them.
 */
function withoutUnknownFields(request: ResourceRequest, object: Obj, metaKeys: readonly string[]): Obj {
  const mode = request.query.get('fieldValidation') ?? 'Warn';
  if (!FIELD_VALIDATION.includes(mode))
    throw badRequest(`fieldValidation must be one of ${FIELD_VALIDATION.join(', ')}, not "${mode}"`);
  const unknownMeta = metaKeys.filter((key) => !OBJECT_META.has(key)).map((key) => `metadata.${key}`);
  const pruned = request.rt.schema.pruneUnknown?.(object) ?? { object, unknown: [] };
  const unknown = [...unknownMeta, ...pruned.unknown];
  if (unknown.length === 0) return object;
  const { rt } = request;
  if (mode === 'Strict') {
    throw badRequest(
      `${rt.kind} in version "${rt.version}" cannot be handled as a ${rt.kind}: strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`,
    );
  }
  if (mode === 'Warn') for (const field of unknown) request.warnings.push(`unknown field "${field}"`);
  const metadata = Object.fromEntries(
    Object.entries(metaOf(pruned.object)).filter(([key]) => OBJECT_META.has(key)),
  );
  return { ...pruned.object, metadata };
}

export function createObject(core: ApiCore, request: ResourceRequest, body: unknown): OperationResult {
  const { rt } = request;
  const candidate = checkBody(request, body);
  const meta = metaOf(candidate);
  let name = str(meta.name) ?? '';
  if (!name && str(meta.generateName)) name = generateName(str(meta.generateName) ?? '');
  const namespace = str(meta.namespace) ?? '';
  core.checkNamespaceWritable(rt, namespace);
  if (name && core.get(rt, namespace, name)) throw alreadyExists(rt, name);
  const named = { ...candidate, metadata: { ...meta, name } };
  const tracked = trackUpdate({
    live: undefined,
    updated: named,
    manager: fieldManager(request),
    apiVersion: apiVersionOf(rt),
    schema: rt.schema,
    now: nowIso(),
    ignoreStatus: true,
  });
  const stored = core.persist(rt, undefined, tracked, { dryRun: isDryRun(request.query) });
  return { status: 201, body: stored };
}

/** Checks a write's resourceVersion precondition (when given) against the live object. */
export function checkResourceVersion(request: ResourceRequest, live: Obj, candidate: Obj): void {
  const wanted = str(metaOf(candidate).resourceVersion);
  if (wanted && wanted !== str(metaOf(live).resourceVersion)) {
    throw conflict(
      request.rt,
      requireName(request),
      'the object has been modified; please apply your changes to the latest version and try again',
    );
  }
}

/** Stores `candidate` over `live` as a non-apply write by the request's field manager. */
export function storeUpdate(core: ApiCore, request: ResourceRequest, live: Obj, candidate: Obj): Obj {
  const { rt } = request;
  const name = requireName(request);
  if (str(metaOf(candidate).name) !== name) {
    throw badRequest(
      `the name of the object (${String(metaOf(candidate).name)}) does not match the name on the URL (${name})`,
    );
  }
  checkResourceVersion(request, live, candidate);
  if (request.subresource === 'status') {
    // Writes to /status change the status and nothing else.
    return core.persist(rt, live, { ...live, status: candidate.status }, { dryRun: isDryRun(request.query) });
  }
  // The main resource ignores status, as the real strategies of kinds with a status subresource do.
  const withStatus =
    live.status === undefined ? withoutStatus(candidate) : { ...candidate, status: live.status };
  const tracked = trackUpdate({
    live,
    updated: withStatus,
    manager: fieldManager(request),
    apiVersion: apiVersionOf(rt),
    schema: rt.schema,
    now: nowIso(),
    ignoreStatus: true,
  });
  return core.persist(rt, live, tracked, { dryRun: isDryRun(request.query) });
}

function withoutStatus(object: Obj): Obj {
  const { status: _status, ...rest } = object;
  return rest;
}

export function updateObject(core: ApiCore, request: ResourceRequest, body: unknown): OperationResult {
  const candidate = checkBody(request, body);
  const live = core.mustGet(request.rt, request.namespace, requireName(request));
  return { status: 200, body: storeUpdate(core, request, live, candidate) };
}
