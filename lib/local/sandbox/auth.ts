import { createHash, timingSafeEqual } from 'node:crypto';
import { ApiStatusError } from './errors';
import type { ResourceType } from './registry';

/** A bearer token the sandbox accepts; `namespaces` limits it to those namespaces. */
export interface TokenGrant {
  readonly token: string;
  /** Undefined: cluster admin. Otherwise: only these namespaces; cluster-scoped objects read-only. */
  readonly namespaces?: readonly string[];
  /** The user name reported in Forbidden messages. */
  readonly user?: string;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

const digests = new WeakMap<TokenGrant, Buffer>();

function grantDigest(grant: TokenGrant): Buffer {
  let d = digests.get(grant);
  if (!d) {
    d = digest(grant.token);
    digests.set(grant, d);
  }
  return d;
}

/** Finds the grant of an Authorization header (constant-time compare of digests); 401 if there is none. */
export function authenticate(grants: readonly TokenGrant[], header: string | undefined): TokenGrant {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  const presented = match?.[1];
  if (presented) {
    const presentedDigest = digest(presented);
    for (const grant of grants) if (timingSafeEqual(grantDigest(grant), presentedDigest)) return grant;
  }
  throw new ApiStatusError('Unauthorized', 'Unauthorized');
}

export interface AccessRequest {
  readonly verb: string;
  readonly rt: ResourceType;
  readonly namespace: string;
}

const READ_VERBS = new Set(['get', 'list', 'watch']);

/** 403 when a namespace-limited token reaches outside its namespaces or writes cluster-scoped objects. */
export function authorize(grant: TokenGrant, access: AccessRequest): void {
  if (!grant.namespaces) return;
  const { verb, rt, namespace } = access;
  const user = grant.user ?? 'sandbox-limited';
  const what = `User "${user}" cannot ${verb} resource "${rt.plural}" in API group "${rt.group}"`;
  if (!rt.namespaced) {
    if (READ_VERBS.has(verb)) return;
    throw new ApiStatusError('Forbidden', `${rt.plural} is forbidden: ${what} at the cluster scope`, {
      group: rt.group,
      kind: rt.plural,
    });
  }
  if (namespace && grant.namespaces.includes(namespace)) return;
  const where = namespace ? `in the namespace "${namespace}"` : 'at the cluster scope';
  throw new ApiStatusError('Forbidden', `${rt.plural} is forbidden: ${what} ${where}`, {
    group: rt.group,
    kind: rt.plural,
  });
}
