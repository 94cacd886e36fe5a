/**
 * How objects merge, field by field: the part of the Kubernetes OpenAPI extensions
 * (`x-kubernetes-list-type`, `x-kubernetes-list-map-keys`, `x-kubernetes-map-type`,
 * `patchMergeKey`) that server-side apply and strategic merge patch need.
 *
 * Paths are field names from the object root; list items are not part of the path, so the
 * containers of a Deployment are at ['spec', 'template', 'spec', 'containers'] and an env
 * list inside one of them at ['spec', 'template', 'spec', 'containers', 'env'].
 */
export type Obj = Record<string, unknown>;

export type ListType =
  | {
      readonly type: 'map';
      readonly keys: readonly string[];
      /** Schema defaults of key fields: an item without one is keyed by the default (structured-merge-diff). */
      readonly defaults?: Readonly<Record<string, unknown>>;
    }
  | { readonly type: 'set' }
  | { readonly type: 'atomic' };

export interface MergeSchema {
  /** The merge strategy of the list at `path`; `items` lets a schema tell lists of the same name apart. */
  list(path: readonly string[], items: readonly unknown[]): ListType;
  /** Whether the map at `path` is atomic: replaced whole by a merge and owned as one field. */
  atomicMap(path: readonly string[]): boolean;
  /**
   * The object without the fields its schema does not declare, and their paths (`spec.sise`), as
   * the API server prunes them; undefined where the sandbox has no schema (built-in kinds).
   */
  pruneUnknown?(object: Obj): { object: Obj; unknown: string[] };
}

const ATOMIC: ListType = { type: 'atomic' };
const SET: ListType = { type: 'set' };
const byName: ListType = { type: 'map', keys: ['name'] };

/** Lists keyed the same way wherever they appear in the built-in kinds. */
const BUILTIN_LISTS: Record<string, ListType> = {
  containers: byName,
  initContainers: byName,
  ephemeralContainers: byName,
  env: byName,
  volumes: byName,
  imagePullSecrets: byName,
  resourceClaims: byName,
  schedulingGates: byName,
  volumeMounts: { type: 'map', keys: ['mountPath'] },
  volumeDevices: { type: 'map', keys: ['devicePath'] },
  hostAliases: { type: 'map', keys: ['ip'] },
  conditions: { type: 'map', keys: ['type'] },
  ownerReferences: { type: 'map', keys: ['uid'] },
  topologySpreadConstraints: { type: 'map', keys: ['topologyKey', 'whenUnsatisfiable'] },
  finalizers: SET,
  // admissionregistration: webhooks and CEL match conditions are list-maps keyed by name, so an
  // out-of-band caBundle patch owns one field of one webhook, not the whole list.
  webhooks: byName,
  matchConditions: byName,
  validationActions: SET,
};

function everyItemHas(items: readonly unknown[], key: string): boolean {
  return items.every((item) => typeof item === 'object' && item !== null && key in item);
}

/** The merge schema of the built-in kinds; lists it does not know are atomic, as in Kubernetes. */
export const builtinSchema: MergeSchema = {
  list(path, items) {
    const field = path[path.length - 1] ?? '';
    if (field === 'ports') {
      // Container ports are keyed by containerPort, Service ports by port.
      if (everyItemHas(items, 'containerPort')) return { type: 'map', keys: ['containerPort'] };
      if (everyItemHas(items, 'port')) return { type: 'map', keys: ['port'] };
      return ATOMIC;
    }
    return BUILTIN_LISTS[field] ?? ATOMIC;
  },
  atomicMap(path) {
    const field = path[path.length - 1];
    // LabelSelector is a structType=atomic; Service.spec.selector is mapType=atomic.
    return field === 'selector' && path.length === 2 && path[0] === 'spec';
  },
};

interface SchemaNode {
  readonly type?: string;
  readonly properties?: Record<string, SchemaNode>;
  readonly items?: SchemaNode;
  readonly additionalProperties?: SchemaNode | boolean;
  readonly 'x-kubernetes-preserve-unknown-fields'?: boolean;
  readonly 'x-kubernetes-list-type'?: string;
  readonly 'x-kubernetes-list-map-keys'?: readonly string[];
  readonly 'x-kubernetes-map-type'?: string;
  readonly default?: unknown;
}

/**
 * The merge schema of a custom resource, read from its CRD's `openAPIV3Schema`: lists are
 * atomic unless marked `x-kubernetes-list-type: map|set`, metadata merges as in built-in kinds.
 */
export function crdSchema(openAPIV3Schema: unknown): MergeSchema {
  const root = (
    typeof openAPIV3Schema === 'object' && openAPIV3Schema !== null ? openAPIV3Schema : {}
  ) as SchemaNode;
  const nodeAt = (path: readonly string[]): SchemaNode | undefined => {
    let node: SchemaNode | undefined = root;
    for (const field of path) {
      if (!node) return undefined;
      // Descend through arrays transparently: paths skip list items.
      while (node?.items) node = node.items;
      const next: SchemaNode | undefined =
        node?.properties?.[field] ??
        (typeof node?.additionalProperties === 'object' ? node.additionalProperties : undefined);
      node = next;
    }
    return node;
  };
  return {
    list(path, items) {
      if (path[0] === 'metadata') return builtinSchema.list(path, items);
      const node = nodeAt(path);
      const type = node?.['x-kubernetes-list-type'];
      if (type === 'set') return SET;
      if (type === 'map') {
        const keys = node?.['x-kubernetes-list-map-keys'] ?? [];
        if (keys.length === 0) return ATOMIC;
        const defaults: Record<string, unknown> = {};
        for (const key of keys) {
          const value = node?.items?.properties?.[key]?.default;
          if (value !== undefined) defaults[key] = value;
        }
        return Object.keys(defaults).length > 0 ? { type: 'map', keys, defaults } : { type: 'map', keys };
      }
      return ATOMIC;
    },
    atomicMap(path) {
      if (path[0] === 'metadata') return false;
      return nodeAt(path)?.['x-kubernetes-map-type'] === 'atomic';
    },
    pruneUnknown(object) {
      const unknown: string[] = [];
      // No schema (the sandbox accepts CRDs without one): nothing to prune by.
      if (typeof openAPIV3Schema !== 'object' || openAPIV3Schema === null) return { object, unknown };
      if (root['x-kubernetes-preserve-unknown-fields'] === true) return { object, unknown };
      const out: Obj = {};
      for (const [key, value] of Object.entries(object)) {
        // apiVersion, kind and metadata are the API server's own (ObjectMeta is checked elsewhere).
        if (key === 'apiVersion' || key === 'kind' || key === 'metadata') out[key] = value;
        else {
          const node = fieldNode(root, key);
          if (node === undefined) unknown.push(key);
          else out[key] = pruned(value, node, key, unknown);
        }
      }
      return { object: unknown.length > 0 ? out : object, unknown };
    },
  };
}

/** The schema of field `key` of an object node; {} (anything) under `additionalProperties: true`. */
function fieldNode(node: SchemaNode, key: string): SchemaNode | undefined {
  const declared = node.properties?.[key];
  if (declared) return declared;
  if (typeof node.additionalProperties === 'object') return node.additionalProperties;
  return node.additionalProperties === true ? {} : undefined;
}

/** A structural schema's pruning: fields an object node does not declare are dropped. */
function pruned(value: unknown, node: SchemaNode, path: string, unknown: string[]): unknown {
  if (node['x-kubernetes-preserve-unknown-fields'] === true) return value;
  if (Array.isArray(value))
    return node.items
      ? value.map((item, i) => pruned(item, node.items as SchemaNode, `${path}[${i}]`, unknown))
      : value;
  if (typeof value !== 'object' || value === null) return value;
  if (node.type !== 'object' && !node.properties && node.additionalProperties === undefined) return value;
  const out: Obj = {};
  for (const [key, child] of Object.entries(value as Obj)) {
    const childNode = fieldNode(node, key);
    if (childNode === undefined) unknown.push(`${path}.${key}`);
    else out[key] = pruned(child, childNode, `${path}.${key}`, unknown);
  }
  return out;
}
