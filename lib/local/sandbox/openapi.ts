import { createHash } from 'node:crypto';
import type { Registry } from './registry';
import type { Obj } from './schema';

/**
 * A minimal OpenAPI v3 document per group-version. kubectl reads it only to learn that the
 * server validates fields itself (the `fieldValidation` parameter on PATCH operations), so
 * it sends `fieldValidation=Strict` instead of downloading schemas to validate client-side.
 * No schemas are served: `kubectl explain` does not work against the sandbox.
 */
const PATCH_PARAMETERS = ['dryRun', 'fieldManager', 'fieldValidation', 'force', 'pretty'].map((name) => ({
  name,
  in: 'query',
  schema: { type: name === 'force' ? 'boolean' : 'string', uniqueItems: true },
}));

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

export function openApiRoot(registry: Registry): Obj {
  const paths: Obj = {};
  for (const [group, versions] of registry.groups()) {
    for (const version of versions) {
      const path = gvPath(group, version);
      const hash = createHash('sha256')
        .update(JSON.stringify(openApiGroupVersion(registry, group, version)))
        .digest('hex')
        .slice(0, 32)
        .toUpperCase();
      paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${hash}` };
    }
  }
  return { paths };
}

export function openApiGroupVersion(registry: Registry, group: string, version: string): Obj | undefined {
  const types = registry.inGroupVersion(group, version);
  if (types.length === 0) return undefined;
  const paths: Obj = {};
  for (const type of types) {
    const base = `/${gvPath(group, version)}${type.namespaced ? '/namespaces/{namespace}' : ''}/${type.plural}/{name}`;
    paths[base] = {
      patch: {
        operationId: `patch${type.kind}`,
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': { group, version, kind: type.kind },
        parameters: PATCH_PARAMETERS,
        responses: { '200': { description: 'OK' } },
      },
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.33.0' },
    paths,
    components: { schemas: {} },
  };
}
