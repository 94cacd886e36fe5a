import { badRequest } from '../errors';
import type { ResourceType } from '../registry';
import type { Obj } from '../schema';

/** A resource request, parsed from the URL: what every operation receives. */
export interface ResourceRequest {
  readonly rt: ResourceType;
  /** The namespace from the URL ('' for cluster-scoped kinds or all namespaces). */
  readonly namespace: string;
  readonly name: string | undefined;
  readonly subresource: string | undefined;
  readonly query: URLSearchParams;
  readonly userAgent: string;
  /** Warnings for the response's `Warning` headers (unknown fields under fieldValidation=Warn). */
  readonly warnings: string[];
}

export interface OperationResult {
  readonly status: number;
  readonly body: Obj;
}

export function isDryRun(query: URLSearchParams): boolean {
  const values = query.getAll('dryRun');
  for (const value of values)
    if (value !== 'All') throw badRequest(`unsupported dry run value "${value}": only "All" is supported`);
  return values.length > 0;
}

/** The field manager of a write: the `fieldManager` parameter, else the user agent up to its first '/'. */
export function fieldManager(request: ResourceRequest): string {
  const explicit = request.query.get('fieldManager');
  if (explicit !== null) {
    if (explicit.length > 128) throw badRequest('fieldManager: Too long: may not be longer than 128');
    return explicit;
  }
  const prefix = request.userAgent.split('/')[0] ?? '';
  return prefix.slice(0, 128) || 'unknown';
}

export function apiVersionOf(rt: ResourceType): string {
  return rt.group ? `${rt.group}/${rt.version}` : rt.version;
}

export function requireName(request: ResourceRequest): string {
  if (!request.name) throw badRequest('a resource name is required');
  return request.name;
}
