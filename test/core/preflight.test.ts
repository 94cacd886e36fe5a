import { AccessReviews } from '../../lib/adapters/kubernetes/access-review';
import type { KubeRequest } from '../../lib/adapters/kubernetes/http';
import { isPermanent } from '../../lib/core/errors';
import type { ObjectId } from '../../lib/core/manifests';
import { MissingAccessError, PolicyError } from '../../lib/core/sync/errors';
import {
  type AccessCheck,
  ClusterApiError,
  type ClusterPort,
  type ResourceInfo,
} from '../../lib/core/sync/ports';
import {
  accessNeeds,
  checkAccess,
  grantedBy,
  MAX_ACCESS_REVIEWS,
  type PlannedWrite,
} from '../../lib/core/sync/preflight';

const rs = (group: string, kind: string, plural: string, namespaced = true): ResourceInfo => ({
  group,
  version: 'v1',
  kind,
  plural,
  namespaced,
});
const configmaps = rs('', 'ConfigMap', 'configmaps');
const roles = rs('rbac.authorization.k8s.io', 'Role', 'roles');
const namespaces = rs('', 'Namespace', 'namespaces', false);
const id = (r: ResourceInfo, namespace: string, name: string): ObjectId => ({
  group: r.group,
  kind: r.kind,
  namespace,
  name,
});
const write = (
  r: ResourceInfo,
  namespace: string,
  name: string,
  ...verbs: PlannedWrite['verbs']
): PlannedWrite => ({
  resource: r,
  id: id(r, namespace, name),
  verbs,
});

/** A cluster port answering reviews from `allowed`, counting them. */
function reviewing(allowed: (c: AccessCheck) => boolean | undefined): {
  cluster: ClusterPort;
  asked: AccessCheck[];
} {
  const asked: AccessCheck[] = [];
  const cluster = {
    reviewAccess: async (c: AccessCheck) => {
      asked.push(c);
      return allowed(c);
    },
  } as unknown as ClusterPort;
  return { cluster, asked };
}

describe('access preflight', () => {
  it('needs each (resource, namespace, verb) once, what only admin or cluster scope grants first', () => {
    const needs = accessNeeds([
      ...Array.from({ length: 30 }, (_, i) => write(configmaps, 'shop', `c${i}`, 'create', 'patch')),
      write(roles, 'shop', 'reader', 'patch'),
      write(namespaces, '', 'shop', 'list', 'patch'),
    ]);
    expect(needs.map((n) => `${n.verb} ${n.resource} ${n.namespace}`)).toEqual([
      'list namespaces ',
      // A Namespace is authorized in itself, as the API server's request info has it.
      'patch namespaces shop',
      'patch roles shop',
      'create configmaps shop',
      'patch configmaps shop',
    ]);
  });

  it('names the config field that grants a permission', () => {
    expect(
      grantedBy({ group: 'rbac.authorization.k8s.io', resource: 'roles', verb: 'create', namespaced: true }),
    ).toBe('clusters[].access: admin');
    expect(grantedBy({ group: '', resource: 'secrets', verb: 'get', namespaced: true })).toBe(
      'clusters[].access: edit',
    );
    expect(grantedBy({ group: '', resource: 'configmaps', verb: 'list', namespaced: true })).toBe(
      'clusters[].access: view',
    );
    expect(grantedBy({ group: '', resource: 'namespaces', verb: 'patch', namespaced: false })).toBe(
      'clusters[].clusterScoped: true',
    );
    expect(grantedBy({ group: 'example.com', resource: 'widgets', verb: 'patch', namespaced: true })).toMatch(
      /^no clusters\[\]\.access level/,
    );
  });

  it('asks nothing when the plan writes nothing, or when the port cannot ask', async () => {
    const { cluster, asked } = reviewing(() => false);
    expect(await checkAccess(cluster, 'a', [], 4)).toEqual({ reviews: 0, unchecked: 0, checked: false });
    expect(asked).toHaveLength(0);
    const blind = {} as ClusterPort;
    const result = await checkAccess(blind, 'a', [write(roles, 'shop', 'r', 'patch')], 4);
    expect(result).toEqual({ reviews: 0, unchecked: 1, checked: false });
  });

  it(`asks at most ${MAX_ACCESS_REVIEWS} reviews and leaves the rest to the API server`, async () => {
    const { cluster, asked } = reviewing(() => true);
    const writes = Array.from({ length: 60 }, (_, i) => write(configmaps, `ns-${i}`, 'c', 'patch'));
    expect(await checkAccess(cluster, 'a', writes, 8)).toEqual({ reviews: 50, unchecked: 10, checked: true });
    expect(asked).toHaveLength(MAX_ACCESS_REVIEWS);
  });

  it('goes on unchecked when the cluster cannot answer (no SelfSubjectAccessReview)', async () => {
    const { cluster } = reviewing(() => undefined);
    const result = await checkAccess(cluster, 'a', [write(roles, 'shop', 'r', 'create', 'patch')], 4);
    expect(result.checked).toBe(false);
  });

  it('refuses with a permanent policy error, one line per missing permission', async () => {
    const { cluster } = reviewing((c) => c.resource === 'configmaps');
    const err = await checkAccess(
      cluster,
      'web',
      [write(configmaps, 'shop', 'c', 'create', 'patch'), write(roles, 'shop', 'r', 'create', 'patch')],
      4,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MissingAccessError);
    expect(err).toBeInstanceOf(PolicyError);
    expect(isPermanent(err)).toBe(true);
    const e = err as MissingAccessError;
    expect(e.missing.map((m) => `${m.verb} ${m.kind} ${m.namespace} ${m.grantedBy}`)).toEqual([
      'create Role shop clusters[].access: admin',
      'patch Role shop clusters[].access: admin',
    ]);
    expect(e.message.split('\n')).toEqual([
      expect.stringMatching(/^app web: refused before any write: .* lacks 2 permission\(s\)/),
      '  cannot create Role (roles.rbac.authorization.k8s.io) in namespace shop: needs clusters[].access: admin',
      '  cannot patch Role (roles.rbac.authorization.k8s.io) in namespace shop: needs clusters[].access: admin',
    ]);
  });
});

describe('AccessReviews (Kubernetes adapter)', () => {
  const check: AccessCheck = { group: '', resource: 'configmaps', namespace: 'shop', verb: 'patch' };

  it('asks each permission once per job and reads status.allowed', async () => {
    const sent: KubeRequest[] = [];
    const reviews = new AccessReviews({
      send: async (req) => {
        sent.push(req);
        return { status: 201, body: { status: { allowed: true } }, warnings: [] };
      },
    });
    expect(await reviews.review(check)).toBe(true);
    expect(await reviews.review(check)).toBe(true);
    expect(await reviews.review({ ...check, verb: 'delete' })).toBe(true);
    expect(sent).toHaveLength(2);
    expect(sent[0]).toMatchObject({
      method: 'POST',
      path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      body: {
        spec: { resourceAttributes: { verb: 'patch', resource: 'configmaps', namespace: 'shop', group: '' } },
      },
    });
  });

  it('answers undefined, and asks no more, when the cluster does not serve reviews (404)', async () => {
    let calls = 0;
    const reviews = new AccessReviews({
      send: async () => {
        calls++;
        throw new ClusterApiError('the server could not find the requested resource', 404, 'NotFound');
      },
    });
    expect(await reviews.review(check)).toBeUndefined();
    expect(await reviews.review({ ...check, verb: 'create' })).toBeUndefined();
    expect(calls).toBe(1);
  });

  it('throws other failures and asks again next time', async () => {
    let calls = 0;
    const reviews = new AccessReviews({
      send: async () => {
        calls++;
        throw new ClusterApiError('etcd is down', 500, 'InternalError');
      },
    });
    await expect(reviews.review(check)).rejects.toThrow('etcd is down');
    await expect(reviews.review(check)).rejects.toThrow('etcd is down');
    expect(calls).toBe(2);
  });
});
