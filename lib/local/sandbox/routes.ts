import type { ReviewKind } from './access-review';
import type { Registry, ResourceType } from './registry';

export type Route =
  | { readonly type: 'version' }
  | { readonly type: 'core-versions' }
  | { readonly type: 'groups' }
  | { readonly type: 'group'; readonly group: string }
  | { readonly type: 'resources'; readonly group: string; readonly version: string }
  | { readonly type: 'openapi-root' }
  | { readonly type: 'openapi-gv'; readonly group: string; readonly version: string }
  | { readonly type: 'openapi-v2' }
  | { readonly type: 'health' }
  | { readonly type: 'sandbox'; readonly path: string }
  | { readonly type: 'review'; readonly kind: ReviewKind }
  | {
      readonly type: 'resource';
      readonly rt: ResourceType;
      readonly namespace: string;
      readonly name: string | undefined;
      readonly subresource: string | undefined;
    }
  | { readonly type: 'not-found' };

/** Maps a URL path to what it addresses; resources resolve through the registry. */
export function route(registry: Registry, path: string): Route {
  if (path === '/version' || path === '/version/') return { type: 'version' };
  if (path === '/healthz' || path === '/livez' || path === '/readyz') return { type: 'health' };
  if (path.startsWith('/sandbox/')) return { type: 'sandbox', path };
  const review =
    /^\/apis\/authorization\.k8s\.io\/v1\/(selfsubjectaccessreviews|selfsubjectrulesreviews)\/?$/.exec(path);
  if (review?.[1]) return { type: 'review', kind: review[1] as ReviewKind };
  if (path === '/openapi/v3' || path === '/openapi/v3/') return { type: 'openapi-root' };
  if (path === '/openapi/v2' || path === '/openapi/v2/') return { type: 'openapi-v2' };
  const segments = path
    .split('/')
    .filter((s) => s !== '')
    .map(decodeURIComponent);
  if (segments[0] === 'openapi' && segments[1] === 'v3') {
    if (segments[2] === 'api' && segments[3]) return { type: 'openapi-gv', group: '', version: segments[3] };
    if (segments[2] === 'apis' && segments[3] && segments[4])
      return { type: 'openapi-gv', group: segments[3], version: segments[4] };
    return { type: 'not-found' };
  }
  let group: string;
  let version: string;
  let rest: string[];
  if (segments[0] === 'api') {
    if (segments.length === 1) return { type: 'core-versions' };
    group = '';
    version = segments[1] ?? '';
    rest = segments.slice(2);
  } else if (segments[0] === 'apis') {
    if (segments.length === 1) return { type: 'groups' };
    if (segments.length === 2) return { type: 'group', group: segments[1] ?? '' };
    group = segments[1] ?? '';
    version = segments[2] ?? '';
    rest = segments.slice(3);
  } else {
    return { type: 'not-found' };
  }
  if (rest.length === 0) return { type: 'resources', group, version };
  let namespace = '';
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const candidate = registry.lookup(group, version, rest[2] ?? '');
    if (candidate?.namespaced) {
      namespace = rest[1] ?? '';
      rest = rest.slice(2);
    }
  }
  const rt = registry.lookup(group, version, rest[0] ?? '');
  if (!rt || rest.length > 3) return { type: 'not-found' };
  return { type: 'resource', rt, namespace, name: rest[1], subresource: rest[2] };
}
