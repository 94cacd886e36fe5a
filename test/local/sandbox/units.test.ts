import { authenticate, authorize } from '../../../lib/local/sandbox/auth';
import { ApiStatusError } from '../../../lib/local/sandbox/errors';
import { FaultInjector } from '../../../lib/local/sandbox/faults';
import { Registry } from '../../../lib/local/sandbox/registry';
import { route } from '../../../lib/local/sandbox/routes';

describe('route', () => {
  const registry = new Registry();
  it('maps namespaced, cluster-scoped and status paths', () => {
    expect(route(registry, '/apis/apps/v1/namespaces/shop/deployments/web/status')).toMatchObject({
      type: 'resource',
      namespace: 'shop',
      name: 'web',
      subresource: 'status',
      rt: { kind: 'Deployment' },
    });
    expect(route(registry, '/api/v1/namespaces/shop')).toMatchObject({
      type: 'resource',
      namespace: '',
      name: 'shop',
      rt: { kind: 'Namespace' },
    });
    expect(route(registry, '/api/v1/namespaces/shop/status')).toMatchObject({
      name: 'shop',
      subresource: 'status',
      rt: { kind: 'Namespace' },
    });
    expect(route(registry, '/api/v1/configmaps')).toMatchObject({
      type: 'resource',
      namespace: '',
      name: undefined,
    });
    expect(route(registry, '/apis/nope.example.com/v1/things')).toEqual({ type: 'not-found' });
  });
});

describe('authenticate and authorize', () => {
  const grants = [{ token: 'admin-token' }, { token: 'limited-token', namespaces: ['a'] }];
  const registry = new Registry();
  const configmaps = registry.lookup('', 'v1', 'configmaps')!;
  const namespaces = registry.lookup('', 'v1', 'namespaces')!;

  it('finds the grant of a bearer token and refuses others with 401', () => {
    expect(authenticate(grants, 'Bearer limited-token').namespaces).toEqual(['a']);
    expect(() => authenticate(grants, 'Bearer nope')).toThrow(ApiStatusError);
    expect(() => authenticate(grants, undefined)).toThrow('Unauthorized');
    expect(() => authenticate(grants, 'Basic admin-token')).toThrow('Unauthorized');
  });

  it('lets a limited grant act in its namespaces and read cluster-scoped objects only', () => {
    const limited = grants[1]!;
    expect(() => authorize(limited, { verb: 'create', rt: configmaps, namespace: 'a' })).not.toThrow();
    expect(() => authorize(limited, { verb: 'get', rt: configmaps, namespace: 'b' })).toThrow(/forbidden/);
    expect(() => authorize(limited, { verb: 'list', rt: configmaps, namespace: '' })).toThrow(
      /cluster scope/,
    );
    expect(() => authorize(limited, { verb: 'get', rt: namespaces, namespace: '' })).not.toThrow();
    expect(() => authorize(limited, { verb: 'delete', rt: namespaces, namespace: '' })).toThrow(
      /cluster scope/,
    );
  });
});

describe('FaultInjector', () => {
  it('applies a rule the given number of times to matching verbs and paths only', () => {
    const faults = new FaultInjector(5);
    faults.add({ verb: 'apply', path: '/configmaps/', status: 500, times: 2 });
    expect(faults.decide('get', '/api/v1/namespaces/a/configmaps/x').rule).toBeUndefined();
    expect(faults.decide('apply', '/api/v1/namespaces/a/secrets/x').rule).toBeUndefined();
    expect(faults.decide('apply', '/api/v1/namespaces/a/configmaps/x')).toMatchObject({
      latencyMs: 5,
      rule: { status: 500 },
    });
    expect(faults.decide('apply', '/api/v1/namespaces/a/configmaps/x').rule).toBeDefined();
    expect(faults.decide('apply', '/api/v1/namespaces/a/configmaps/x').rule).toBeUndefined();
    expect(faults.list()).toEqual([]);
  });

  it('refuses a rule with a non-positive times', () => {
    expect(() => new FaultInjector().add({ status: 500, times: 0 })).toThrow('positive integer');
  });
});
