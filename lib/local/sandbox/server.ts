import type { IncomingMessage, ServerResponse } from 'node:http';
import { review } from './access-review';
import { authenticate, authorize, isAdmin, type TokenGrant } from './auth';
import type { ApiCore } from './core';
import { coreVersions, group, groupList, resourceList, versionInfo } from './discovery';
import { ApiStatusError } from './errors';
import type { FaultDecision, FaultInjector } from './faults';
import { openApiGroupVersion, openApiRoot } from './openapi';
import { sendOpenApiV2 } from './openapi-v2';
import { deleteCollection, deleteObject } from './operations/delete';
import { PATCH_TYPES, type PatchType, patchObject } from './operations/patch';
import { getObject, listObjects } from './operations/read';
import type { OperationResult, ResourceRequest } from './operations/request';
import { createObject, updateObject } from './operations/write';
import { decodeProtobufObject } from './protobuf';
import { route } from './routes';
import type { Obj } from './schema';
import { SelectorError } from './selectors';
import type { StatsRecorder } from './stats';
import { serveWatch } from './watch';

/** The largest request body accepted, as the real API server's 3 MiB limit. */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export interface ServerContext {
  readonly core: ApiCore;
  readonly grants: readonly TokenGrant[];
  readonly faults: FaultInjector;
  readonly stats: StatsRecorder;
  readonly serverAddress: () => string;
  readonly stopping: AbortSignal;
  /** Handles `/sandbox/v1/...` (stats, faults); returns undefined when the path is unknown. */
  readonly sandboxEndpoint: (method: string, path: string, body: string) => OperationResult | undefined;
}

function send(
  res: ServerResponse,
  status: number,
  body: Obj,
  extraHeaders: Record<string, string | string[]> = {},
): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(payload),
    ...extraHeaders,
  });
  res.end(payload);
}

function sendError(res: ServerResponse, err: unknown): void {
  const status =
    err instanceof ApiStatusError
      ? err
      : err instanceof SelectorError
        ? new ApiStatusError('BadRequest', err.message)
        : new ApiStatusError(
            'InternalError',
            `Internal error occurred: ${err instanceof Error ? err.message : String(err)}`,
          );
  const retry = status.details?.retryAfterSeconds;
  send(res, status.code, status.toStatus(), retry !== undefined ? { 'Retry-After': String(retry) } : {});
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Past the limit the rest is read and dropped, so the client gets its 413 and not a reset.
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES)
        reject(
          new ApiStatusError('RequestEntityTooLarge', `Request entity too large: limit is ${MAX_BODY_BYTES}`),
        );
      else resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

function parseJsonBody(raw: string): unknown {
  if (raw.trim() === '') return undefined;
  try {
    return JSON.parse(raw);
  } catch (err: unknown) {
    throw new ApiStatusError(
      'BadRequest',
      `the request body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

function verbOf(method: string, hasName: boolean, query: URLSearchParams, contentType: string): string {
  switch (method) {
    case 'GET':
      if (query.get('watch') === 'true' || query.get('watch') === '1') return 'watch';
      return hasName ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return contentType.startsWith('application/apply-patch') ? 'apply' : 'patch';
    case 'DELETE':
      return hasName ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const TRACE = process.env.PLUMBLINE_SANDBOX_TRACE === '1';

export async function handleRequest(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (TRACE) {
    res.on('finish', () =>
      process.stderr.write(
        `sandbox: ${req.method} ${req.url} ${req.headers['content-type'] ?? ''} -> ${res.statusCode}\n`,
      ),
    );
  }
  try {
    const url = new URL(req.url ?? '/', 'https://sandbox.invalid');
    const method = req.method ?? 'GET';
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
    const target = route(ctx.core.registry, url.pathname);
    const hasName = target.type === 'resource' && target.name !== undefined;
    const verb =
      target.type === 'resource'
        ? verbOf(method, hasName, url.searchParams, contentType)
        : target.type === 'review'
          ? 'create'
          : 'discovery';
    let grant: TokenGrant | undefined;
    if (target.type !== 'health') {
      grant = authenticate(ctx.grants, req.headers.authorization);
      if (target.type === 'sandbox' && !isAdmin(grant))
        throw new ApiStatusError('Forbidden', 'the sandbox endpoints need the admin token');
      if (target.type === 'resource') {
        const access = { rt: target.rt, namespace: target.namespace, name: target.name };
        authorize(grant, { ...access, verb, subresource: target.subresource });
        // As kube-apiserver: a server-side apply that would create the object needs `create` too.
        if (verb === 'apply' && target.name && !ctx.core.get(target.rt, target.namespace, target.name))
          authorize(grant, { ...access, verb: 'create', subresource: target.subresource });
      }
    }
    const warnings: string[] = [];
    let fault: FaultDecision | undefined;
    if (target.type !== 'sandbox') {
      ctx.stats.record(
        verb,
        target.type === 'resource'
          ? `${target.rt.group}/${target.rt.plural}`
          : target.type === 'review'
            ? `authorization.k8s.io/${target.kind}`
            : undefined,
      );
      fault = ctx.faults.decide(verb, url.pathname);
      if (fault.latencyMs > 0) await sleep(fault.latencyMs);
      const rule = fault.rule;
      if (rule?.warning !== undefined) warnings.push(rule.warning);
      if (rule?.reset) {
        req.socket.destroy();
        return;
      }
      if (rule?.status) {
        const reason = rule.status === 429 ? 'TooManyRequests' : 'InternalError';
        const message =
          rule.status === 429 ? 'Too many requests, please try again later.' : 'injected failure';
        const err = new ApiStatusError(
          reason,
          message,
          rule.retryAfterSeconds !== undefined ? { retryAfterSeconds: rule.retryAfterSeconds } : undefined,
        );
        const body = { ...err.toStatus(), code: rule.status };
        send(
          res,
          rule.status,
          body,
          rule.retryAfterSeconds !== undefined ? { 'Retry-After': String(rule.retryAfterSeconds) } : {},
        );
        return;
      }
    }
    if (target.type === 'openapi-v2' && method === 'GET') {
      sendOpenApiV2(req, res);
      return;
    }
    if (contentType === 'application/cbor') {
      // client-go falls back to JSON for the rest of the session after a 415 to CBOR.
      throw new ApiStatusError(
        'UnsupportedMediaType',
        'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml',
      );
    }
    const body = method === 'GET' || method === 'HEAD' ? Buffer.alloc(0) : await readBody(req);
    const raw =
      contentType === 'application/vnd.kubernetes.protobuf' && (method === 'POST' || method === 'PUT')
        ? JSON.stringify(decodeProtobufObject(body))
        : body.toString('utf8');
    const result =
      target.type === 'review' && grant
        ? review(ctx.core.registry, grant, target.kind, method, parseJsonBody(raw))
        : dispatch(ctx, target, method, url, raw, contentType, req, res, warnings);
    if (fault?.rule?.resetAfter) {
      req.socket.destroy();
      return;
    }
    // RFC 7234 warn-code 299 with no agent, as the API server sends them.
    const warned = warnings.map((w) => `299 - ${JSON.stringify(w)}`);
    if (result) send(res, result.status, result.body, warned.length > 0 ? { Warning: warned } : {});
  } catch (err: unknown) {
    if (!res.headersSent) sendError(res, err);
    else res.destroy();
  }
}

function methodNotAllowed(method: string): ApiStatusError {
  return new ApiStatusError(
    'MethodNotAllowed',
    `the server does not allow this method on the requested resource (${method})`,
  );
}

function dispatch(
  ctx: ServerContext,
  target: ReturnType<typeof route>,
  method: string,
  url: URL,
  raw: string,
  contentType: string,
  req: IncomingMessage,
  res: ServerResponse,
  warnings: string[],
): OperationResult | undefined {
  const { core } = ctx;
  const ok = (body: Obj | undefined): OperationResult => {
    if (!body) throw new ApiStatusError('NotFound', 'the server could not find the requested resource');
    return { status: 200, body };
  };
  if (target.type !== 'resource' && target.type !== 'sandbox' && method !== 'GET')
    throw methodNotAllowed(method);
  switch (target.type) {
    case 'version':
      return ok(versionInfo());
    case 'health':
      return { status: 200, body: { status: 'ok' } };
    case 'core-versions':
      return ok(coreVersions(ctx.serverAddress()));
    case 'groups':
      return ok(groupList(core.registry));
    case 'group':
      return ok(group(core.registry, target.group));
    case 'resources':
      return ok(resourceList(core.registry, target.group, target.version));
    case 'openapi-root':
      return ok(openApiRoot(core.registry));
    case 'openapi-gv':
      return ok(openApiGroupVersion(core.registry, target.group, target.version));
    case 'openapi-v2':
      return ok(undefined);
    case 'sandbox':
      return ok(ctx.sandboxEndpoint(method, target.path, raw)?.body);
    case 'not-found':
    case 'review':
      return ok(undefined);
    case 'resource':
      break;
  }
  if (target.subresource !== undefined && target.subresource !== 'status') {
    throw new ApiStatusError(
      'NotFound',
      `the server could not find the requested resource (${target.subresource})`,
    );
  }
  const request: ResourceRequest = {
    rt: target.rt,
    namespace: target.namespace,
    name: target.name,
    subresource: target.subresource,
    query: url.searchParams,
    userAgent: String(req.headers['user-agent'] ?? ''),
    warnings,
  };
  const named = target.name !== undefined;
  switch (method) {
    case 'GET':
      if (url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1') {
        serveWatch(core, request, res, ctx.stopping);
        return undefined;
      }
      return named ? getObject(core, request) : listObjects(core, request);
    case 'POST':
      if (named) throw methodNotAllowed(method);
      return createObject(core, request, parseJsonBody(raw));
    case 'PUT':
      if (!named) throw methodNotAllowed(method);
      return updateObject(core, request, parseJsonBody(raw));
    case 'PATCH':
      if (!named) throw methodNotAllowed(method);
      if (!(PATCH_TYPES as readonly string[]).includes(contentType)) {
        throw new ApiStatusError(
          'UnsupportedMediaType',
          `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.join(', ')}`,
        );
      }
      return patchObject(core, request, contentType as PatchType, raw);
    case 'DELETE':
      return named
        ? deleteObject(core, request, parseJsonBody(raw))
        : deleteCollection(core, request, parseJsonBody(raw));
    default:
      throw methodNotAllowed(method);
  }
}
