import { isObj, metaOf, str } from './objects';
import type { ResourceType } from './registry';
import type { Obj } from './schema';

let nextClusterIp = 1;

function allocateClusterIp(): string {
  const n = nextClusterIp++;
  return `10.96.${Math.floor(n / 250) % 250}.${(n % 250) + 1}`;
}

/**
 * What the API server fills in on every write, limited to what users and controllers rely on:
 * Secret stringData folded into data, Service cluster IPs, workload replicas, Namespace phase.
 * Request bodies are decoded first (decode.ts: quantities, base64), as the API server does.
 * `old` is the stored object on updates.
 */
export function applyDefaults(rt: ResourceType, object: Obj, old: Obj | undefined): Obj {
  const key = `${rt.group}/${rt.plural}`;
  switch (key) {
    case '/secrets':
      return defaultSecret(object);
    case '/services':
      return defaultService(object, old);
    case '/namespaces':
      return defaultNamespace(object, old);
    case 'apps/deployments':
    case 'apps/statefulsets':
    case 'apps/replicasets':
      return defaultReplicas(object);
    case '/replicationcontrollers':
      return defaultReplicationController(defaultReplicas(object));
    default:
      return object;
  }
}

function defaultSecret(object: Obj): Obj {
  const { stringData, ...rest } = object;
  const out: Obj = { ...rest, type: str(object.type) || 'Opaque' };
  if (isObj(stringData)) {
    const data: Obj = isObj(object.data) ? { ...object.data } : {};
    for (const [k, v] of Object.entries(stringData))
      data[k] = Buffer.from(String(v), 'utf8').toString('base64');
    out.data = data;
  }
  return out;
}

function defaultService(object: Obj, old: Obj | undefined): Obj {
  const spec: Obj = isObj(object.spec) ? { ...object.spec } : {};
  // An empty string is unset, as for every defaulted field of the API server.
  spec.type = str(spec.type) || 'ClusterIP';
  if (spec.type !== 'ExternalName') {
    const previous = old && isObj(old.spec) ? str(old.spec.clusterIP) : undefined;
    if (!str(spec.clusterIP)) spec.clusterIP = previous ?? allocateClusterIp();
    if (!Array.isArray(spec.clusterIPs)) spec.clusterIPs = [spec.clusterIP];
  }
  return { ...object, spec };
}

function defaultNamespace(object: Obj, old: Obj | undefined): Obj {
  const meta = metaOf(object);
  const name = str(meta.name) ?? '';
  const labels = { ...(isObj(meta.labels) ? meta.labels : {}), 'kubernetes.io/metadata.name': name };
  const status = old && isObj(old.status) ? old.status : { phase: 'Active' };
  return { ...object, metadata: { ...meta, labels }, status: isObj(object.status) ? object.status : status };
}

function defaultReplicas(object: Obj): Obj {
  const spec: Obj = isObj(object.spec) ? object.spec : {};
  if (typeof spec.replicas === 'number') return object;
  return { ...object, spec: { ...spec, replicas: 1 } };
}

/** An RC without a selector or labels takes both from its pod template (SetDefaults_ReplicationController). */
function defaultReplicationController(object: Obj): Obj {
  const spec: Obj = isObj(object.spec) ? object.spec : {};
  const template = isObj(spec.template) ? spec.template : {};
  const templateLabels = isObj(template.metadata) ? template.metadata.labels : undefined;
  if (!isObj(templateLabels) || Object.keys(templateLabels).length === 0) return object;
  const meta = metaOf(object);
  const emptyMap = (v: unknown): boolean => !isObj(v) || Object.keys(v).length === 0;
  return {
    ...object,
    metadata: emptyMap(meta.labels) ? { ...meta, labels: { ...templateLabels } } : meta,
    spec: emptyMap(spec.selector) ? { ...spec, selector: { ...templateLabels } } : spec,
  };
}
