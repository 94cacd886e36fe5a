import { createHash, timingSafeEqual } from 'node:crypto';
import { type AccessPolicy, BASIC_USER_RULES, POLICY_RULES, rulesAllow } from '../../core/access/policies';
import { ApiStatusError } from './errors';
import type { ResourceType } from './registry';

/** A bearer token the sandbox accepts; `namespaces` limits it to those namespaces. */
export interface TokenGrant {
  readonly token: string;
  /**
   * Undefined: cluster admin. Otherwise: only these namespaces; without `policy`, everything in
   * them and cluster-scoped objects read-only.
   */
  readonly namespaces?: readonly string[];
  /**
   * The EKS access policy the token has in `namespaces` (cluster-admin: everywhere), as EKS
   * authorizes an access entry: nothing outside them, not even a read of a cluster-scoped kind.
   */
  readonly policy?: AccessPolicy;
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

/** Whether a grant is the admin token (the only one the /sandbox endpoints accept). */
export function isAdmin(grant: TokenGrant): boolean {
  return grant.namespaces === undefined && grant.policy === undefined;
}

/** A request as the authorizer sees it (kube-apiserver's authorizer.Attributes, resource requests). */
export interface ResourceAttributes {
  readonly verb: string;
  readonly group: string;
  readonly resource: string;
  readonly subresource?: string;
  /** '' for a cluster-scoped object or a request across all namespaces. */
  readonly namespace: string;
  readonly name?: string;
  /** Whether the resource is namespaced (undefined: unknown, judged by `namespace`). */
  readonly namespaced?: boolean;
}

const READ_VERBS = new Set(['get', 'list', 'watch']);

const qualified = (a: ResourceAttributes): string =>
  a.subresource ? `${a.resource}/${a.subresource}` : a.resource;

/** The authorizer's decision for a grant. */
export function allows(grant: TokenGrant, a: ResourceAttributes): boolean {
  if (rulesAllow(BASIC_USER_RULES, a.group, qualified(a), a.verb)) return true;
  if (grant.policy === 'cluster-admin') return true;
  if (!grant.namespaces) return grant.policy === undefined;
  if (grant.policy === undefined) {
    const namespaced = a.namespaced ?? a.namespace !== '';
    if (!namespaced) return READ_VERBS.has(a.verb);
    return a.namespace !== '' && grant.namespaces.includes(a.namespace);
  }
  return (
    a.namespace !== '' &&
    grant.namespaces.includes(a.namespace) &&
    rulesAllow(POLICY_RULES[grant.policy], a.group, qualified(a), a.verb)
  );
}

export interface AccessRequest {
  readonly verb: string;
  readonly rt: ResourceType;
  readonly namespace: string;
  readonly name?: string | undefined;
  readonly subresource?: string | undefined;
}

/** The authorizer's view of a sandbox request: SSA is `patch`, and a Namespace is in itself. */
export function attributesOf(access: AccessRequest): ResourceAttributes {
  const { rt, name, subresource } = access;
  const isNamespace = rt.group === '' && rt.plural === 'namespaces';
  return {
    verb: access.verb === 'apply' ? 'patch' : access.verb,
    group: rt.group,
    resource: rt.plural,
    ...(subresource ? { subresource } : {}),
    namespace: isNamespace && name ? name : access.namespace,
    ...(name ? { name } : {}),
    namespaced: rt.namespaced,
  };
}

/**
 * kube-apiserver's Forbidden Status: `<resource>[.<group>] ["<name>"] is forbidden: User "<u>"
 * cannot <verb> resource "<res>" in API group "<g>" in the namespace "<ns>"` (or at the cluster scope).
 */
export function forbidden(grant: TokenGrant, a: ResourceAttributes): ApiStatusError {
  const user = grant.user ?? 'sandbox-limited';
  const groupResource = a.group ? `${a.resource}.${a.group}` : a.resource;
  const subject = a.name ? `${groupResource} "${a.name}"` : groupResource;
  const where = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
  return new ApiStatusError(
    'Forbidden',
    `${subject} is forbidden: User "${user}" cannot ${a.verb} resource "${qualified(a)}" in API group "${a.group}" ${where}`,
    { ...(a.name ? { name: a.name } : {}), group: a.group, kind: a.resource },
  );
}

/** 403 when the grant does not allow the request. */
export function authorize(grant: TokenGrant, access: AccessRequest): void {
  const attributes = attributesOf(access);
  if (!allows(grant, attributes)) throw forbidden(grant, attributes);
}
