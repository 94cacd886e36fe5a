import { BASIC_USER_RULES, POLICY_RULES, type PolicyRule } from '../../core/access/policies';
import { allows, type TokenGrant } from './auth';
import { ApiStatusError } from './errors';
import { isObj } from './objects';
import type { OperationResult } from './operations/request';
import type { Registry } from './registry';
import type { Obj } from './schema';

export type ReviewKind = 'selfsubjectaccessreviews' | 'selfsubjectrulesreviews';

const GROUP_VERSION = 'authorization.k8s.io/v1';

/** Non-resource paths every authenticated identity may GET (system:discovery, system:public-info-viewer). */
const PUBLIC_PATHS = /^\/(?:api|apis|openapi|version|healthz|livez|readyz)(?:\/.*)?$/;

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function invalid(kind: string, field: string, message: string): ApiStatusError {
  return new ApiStatusError('Invalid', `${kind}.authorization.k8s.io "" is invalid: ${field}: ${message}`, {
    group: 'authorization.k8s.io',
    kind,
    causes: [{ type: 'FieldValueInvalid', field, message }],
  });
}

function accessReview(registry: Registry, grant: TokenGrant, body: Obj): Obj {
  const spec = isObj(body.spec) ? body.spec : {};
  const ra = isObj(spec.resourceAttributes) ? spec.resourceAttributes : undefined;
  const nra = isObj(spec.nonResourceAttributes) ? spec.nonResourceAttributes : undefined;
  if ((ra === undefined) === (nra === undefined))
    throw invalid(
      'SelfSubjectAccessReview',
      'spec.resourceAttributes',
      'exactly one of nonResourceAttributes or resourceAttributes must be specified',
    );
  let allowed: boolean;
  if (ra) {
    const group = str(ra.group);
    const resource = str(ra.resource);
    const subresource = str(ra.subresource);
    const name = str(ra.name);
    allowed = allows(grant, {
      verb: str(ra.verb),
      group,
      resource,
      ...(subresource ? { subresource } : {}),
      namespace: str(ra.namespace),
      ...(name ? { name } : {}),
      namespaced: registry.anyVersion(group, resource)?.namespaced,
    });
  } else {
    const path = str(nra?.path);
    allowed =
      grant.policy === 'cluster-admin' ||
      (grant.namespaces === undefined && grant.policy === undefined) ||
      (str(nra?.verb) === 'get' && PUBLIC_PATHS.test(path));
  }
  return {
    kind: 'SelfSubjectAccessReview',
    apiVersion: GROUP_VERSION,
    metadata: { creationTimestamp: null },
    spec,
    status: { allowed },
  };
}

/** The rules a grant has in a namespace, as the RBAC authorizer lists them (complete: no webhook). */
function rulesIn(grant: TokenGrant, namespace: string): readonly PolicyRule[] {
  const everything: PolicyRule = { apiGroups: ['*'], resources: ['*'], verbs: ['*'] };
  if (grant.policy === 'cluster-admin' || (grant.namespaces === undefined && grant.policy === undefined))
    return [...BASIC_USER_RULES, everything];
  const inside = grant.namespaces?.includes(namespace) ?? false;
  if (grant.policy === undefined) {
    const read: PolicyRule = { apiGroups: ['*'], resources: ['*'], verbs: ['get', 'list', 'watch'] };
    return [...BASIC_USER_RULES, inside ? everything : read];
  }
  return inside ? [...BASIC_USER_RULES, ...POLICY_RULES[grant.policy]] : BASIC_USER_RULES;
}

function rulesReview(grant: TokenGrant, body: Obj): Obj {
  const spec = isObj(body.spec) ? body.spec : {};
  const namespace = str(spec.namespace);
  if (namespace === '') throw new ApiStatusError('BadRequest', 'no namespace on request');
  return {
    kind: 'SelfSubjectRulesReview',
    apiVersion: GROUP_VERSION,
    metadata: { creationTimestamp: null },
    spec,
    status: {
      resourceRules: rulesIn(grant, namespace).map((r) => ({
        verbs: [...r.verbs],
        apiGroups: [...r.apiGroups],
        resources: [...r.resources],
      })),
      nonResourceRules: [
        { verbs: ['get'], nonResourceURLs: ['/api', '/api/*', '/apis', '/apis/*', '/version'] },
      ],
      incomplete: false,
    },
  };
}

/** Answers a SelfSubjectAccessReview or SelfSubjectRulesReview (POST) for the caller's grant. */
export function review(
  registry: Registry,
  grant: TokenGrant,
  kind: ReviewKind,
  method: string,
  body: unknown,
): OperationResult {
  if (method !== 'POST')
    throw new ApiStatusError(
      'MethodNotAllowed',
      `the server does not allow this method on the requested resource (${method})`,
    );
  const obj = isObj(body) ? body : {};
  return {
    status: 201,
    body: kind === 'selfsubjectaccessreviews' ? accessReview(registry, grant, obj) : rulesReview(grant, obj),
  };
}
