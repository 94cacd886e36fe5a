import { parse as parseYaml } from 'yaml';
import type { ApiCore } from '../core';
import { asDecoded } from '../decode';
import { ApiStatusError, badRequest, invalid } from '../errors';
import { isObj, metaOf, nowIso, str } from '../objects';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, PatchError } from '../patch';
import type { Obj } from '../schema';
import { ApplyConflictError, InvalidApplyError, serverSideApply } from '../ssa';
import { apiVersionOf, isDryRun, type OperationResult, type ResourceRequest, requireName } from './request';
import { checkBody, storeUpdate } from './write';

export const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
] as const;

export type PatchType = (typeof PATCH_TYPES)[number];

export function patchObject(
  core: ApiCore,
  request: ResourceRequest,
  patchType: PatchType,
  raw: string,
): OperationResult {
  if (patchType === 'application/apply-patch+yaml') return applyObject(core, request, raw);
  if (request.query.has('force')) throw badRequest('force may only be set for apply patches');
  const live = core.mustGet(request.rt, request.namespace, requireName(request));
  const patch = parseJson(raw);
  let patched: unknown;
  try {
    if (patchType === 'application/json-patch+json') patched = applyJsonPatch(live, patch);
    else if (patchType === 'application/merge-patch+json') patched = applyMergePatch(live, patch);
    else {
      if (request.rt.crd) {
        throw new ApiStatusError(
          'UnsupportedMediaType',
          `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`,
        );
      }
      if (!isObj(patch)) throw badRequest('a strategic merge patch must be a JSON object');
      patched = applyStrategicMergePatch(live, patch, request.rt.schema);
    }
  } catch (err: unknown) {
    if (err instanceof PatchError) throw invalidPatch(request, err);
    throw err;
  }
  if (!isObj(patched)) throw badRequest('the patch did not result in an object');
  // Decoded as a request body is (checkBody does it for creates, updates and applies).
  const candidate = asDecoded(request.rt, {
    ...patched,
    metadata: { ...metaOf(patched), name: metaOf(live).name, namespace: metaOf(live).namespace },
  });
  return { status: 200, body: storeUpdate(core, request, live, candidate) };
}

function invalidPatch(request: ResourceRequest, err: PatchError): ApiStatusError {
  return invalid(request.rt.kind, request.rt.group, request.name ?? '', [{ message: err.message }]);
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch (err: unknown) {
    throw badRequest(`error decoding patch: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function parseApplyBody(raw: string): unknown {
  // Clients send JSON (valid YAML) almost always; the YAML parser is the slow path.
  try {
    return JSON.parse(raw);
  } catch {
    try {
      return parseYaml(raw, { maxAliasCount: 100, prettyErrors: false });
    } catch (err: unknown) {
      throw badRequest(
        `error decoding YAML: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
      );
    }
  }
}

function applyObject(core: ApiCore, request: ResourceRequest, raw: string): OperationResult {
  const { rt, query } = request;
  const manager = query.get('fieldManager');
  if (!manager) {
    throw invalid('PatchOptions', 'meta.k8s.io', '', [
      { field: 'fieldManager', message: 'Required value: is required for apply patch' },
    ]);
  }
  const forceParam = query.get('force');
  if (forceParam !== null && forceParam !== 'true' && forceParam !== 'false')
    throw badRequest(`invalid force value "${forceParam}"`);
  const name = requireName(request);
  const body = parseApplyBody(raw);
  if (!isObj(body)) throw badRequest('the apply patch must be a YAML or JSON object');
  if (!body.apiVersion || !body.kind) {
    throw badRequest('apiVersion and kind must be set in an apply patch');
  }
  if (isObj(body.metadata) && body.metadata.managedFields != null)
    throw badRequest('metadata.managedFields must be nil');
  const applied = checkBody(request, body);
  const appliedName = str(metaOf(applied).name);
  if (appliedName !== undefined && appliedName !== name) {
    throw badRequest(`the name of the object (${appliedName}) does not match the name on the URL (${name})`);
  }
  const config: Obj = { ...applied, metadata: { ...metaOf(applied), name } };
  const live = core.get(rt, request.namespace, name);
  if (!live) core.checkNamespaceWritable(rt, str(metaOf(config).namespace) ?? '');
  let merged: Obj;
  try {
    merged = serverSideApply({
      live,
      applied: config,
      manager,
      force: forceParam === 'true',
      apiVersion: apiVersionOf(rt),
      schema: rt.schema,
      now: nowIso(),
      ignoreStatus: request.subresource !== 'status',
    });
  } catch (err: unknown) {
    if (err instanceof ApplyConflictError) {
      throw new ApiStatusError('Conflict', err.message, {
        name,
        group: rt.group,
        kind: rt.plural,
        causes: err.conflicts.map((c) => ({
          type: 'FieldManagerConflict',
          message: `conflict with "${c.manager}"`,
          field: c.field,
        })),
      });
    }
    if (err instanceof InvalidApplyError) throw invalid(rt.kind, rt.group, name, [{ message: err.message }]);
    throw err;
  }
  const dryRun = isDryRun(query);
  if (live) {
    if (
      str(metaOf(config).resourceVersion) &&
      str(metaOf(config).resourceVersion) !== str(metaOf(live).resourceVersion)
    ) {
      throw new ApiStatusError(
        'Conflict',
        `Operation cannot be fulfilled on ${rt.plural} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      );
    }
    return { status: 200, body: core.persist(rt, live, merged, { dryRun }) };
  }
  return { status: 201, body: core.persist(rt, undefined, merged, { dryRun }) };
}
