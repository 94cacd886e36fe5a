import { invalid, type StatusCause } from './errors';
import { deepEqual, getPath, isObj, metaOf, str } from './objects';
import type { ResourceType } from './registry';
import type { Obj } from './schema';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Kinds whose names must be DNS-1123 labels (63 characters, no dots). */
const LABEL_NAMED = new Set(['namespaces', 'services']);

export function nameProblems(rt: ResourceType, name: string): string | undefined {
  if (name === '') return 'name or generateName is required';
  if (LABEL_NAMED.has(rt.plural) && rt.group === '') {
    if (name.length > 63 || !DNS1123_LABEL.test(name)) {
      return `a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name', or '123-abc')`;
    }
    return undefined;
  }
  if (rt.plural === 'customresourcedefinitions') return undefined;
  if (rt.group === 'rbac.authorization.k8s.io') return pathSegmentProblem(name);
  if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
    return `a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com')`;
  }
  return undefined;
}

/**
 * RBAC objects take any name that can be one URL path segment (ValidatePathSegmentName), so
 * `system:aggregate-to-edit` and cert-manager's `cert-manager-controller-issuers:...` are valid.
 */
function pathSegmentProblem(name: string): string | undefined {
  if (name === '.' || name === '..') return `may not be '${name}'`;
  for (const part of ['/', '%']) if (name.includes(part)) return `may not contain '${part}'`;
  return undefined;
}

function qualifiedKeyProblem(key: string): string | undefined {
  const parts = key.split('/');
  if (parts.length > 2) return 'a qualified name must have at most one "/"';
  const name = parts[parts.length - 1] ?? '';
  if (parts.length === 2) {
    const prefix = parts[0] ?? '';
    if (prefix.length === 0 || prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix)) {
      return 'prefix part must be a lowercase RFC 1123 subdomain';
    }
  }
  if (name.length === 0 || name.length > 63 || !LABEL_NAME.test(name)) {
    return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
  }
  return undefined;
}

/** Validates metadata of an object about to be stored; throws 422 Invalid with every cause. */
export function validateObject(rt: ResourceType, object: Obj): void {
  const meta = metaOf(object);
  const name = str(meta.name) ?? '';
  const causes: StatusCause[] = [];
  const nameProblem = nameProblems(rt, name);
  if (nameProblem)
    causes.push({ field: 'metadata.name', message: `Invalid value: "${name}": ${nameProblem}` });
  const labels = meta.labels;
  if (labels !== undefined && labels !== null) {
    if (!isObj(labels)) causes.push({ field: 'metadata.labels', message: 'must be a map of strings' });
    else
      for (const [key, value] of Object.entries(labels)) {
        const keyProblem = qualifiedKeyProblem(key);
        if (keyProblem)
          causes.push({ field: 'metadata.labels', message: `Invalid value: "${key}": ${keyProblem}` });
        if (typeof value !== 'string' || value.length > 63 || !LABEL_VALUE.test(value)) {
          causes.push({
            field: 'metadata.labels',
            message: `Invalid value: ${JSON.stringify(value)}: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
          });
        }
      }
  }
  const annotations = meta.annotations;
  if (annotations !== undefined && annotations !== null) {
    if (!isObj(annotations))
      causes.push({ field: 'metadata.annotations', message: 'must be a map of strings' });
    else
      for (const [key, value] of Object.entries(annotations)) {
        const keyProblem = qualifiedKeyProblem(key);
        if (keyProblem)
          causes.push({ field: 'metadata.annotations', message: `Invalid value: "${key}": ${keyProblem}` });
        if (typeof value !== 'string')
          causes.push({ field: `metadata.annotations.${key}`, message: 'must be a string' });
      }
  }
  if (isObj(annotations) && annotationBytes(annotations) > MAX_ANNOTATION_BYTES)
    // What refuses a client-side apply of a large CRD: its last-applied-configuration annotation.
    causes.push({
      field: 'metadata.annotations',
      message: `Too long: must have at most ${MAX_ANNOTATION_BYTES} bytes`,
      type: 'FieldValueTooLong',
    });
  const size = dataSize(rt, object);
  if (size > MAX_DATA_BYTES)
    causes.push({
      field: '[]',
      message: `Too long: must have at most ${MAX_DATA_BYTES} bytes`,
      type: 'FieldValueTooLong',
    });
  if (causes.length > 0) throw invalid(rt.kind, rt.group, name, causes);
}

/** All annotations of one object together, keys and values (ValidateAnnotationsSize). */
const MAX_ANNOTATION_BYTES = 256 * 1024;

function annotationBytes(annotations: Obj): number {
  let total = 0;
  for (const [key, value] of Object.entries(annotations))
    total += Buffer.byteLength(key) + (typeof value === 'string' ? Buffer.byteLength(value) : 0);
  return total;
}

/** What one ConfigMap or Secret may hold: keys and values of `data` and `binaryData` together. */
const MAX_DATA_BYTES = 1024 * 1024;

/** The bytes a ConfigMap's or Secret's data holds, as the API server counts them (decoded base64). */
function dataSize(rt: ResourceType, object: Obj): number {
  if (rt.group !== '' || (rt.plural !== 'configmaps' && rt.plural !== 'secrets')) return 0;
  let total = 0;
  for (const field of ['data', 'binaryData', 'stringData']) {
    const map = object[field];
    if (!isObj(map)) continue;
    const base64 = rt.plural === 'secrets' ? field === 'data' : field === 'binaryData';
    for (const [key, value] of Object.entries(map)) {
      if (typeof value !== 'string') continue;
      total += key.length + (base64 ? Buffer.from(value, 'base64').length : Buffer.byteLength(value));
    }
  }
  return total;
}

type Rule = (old: Obj, next: Obj) => StatusCause | undefined;

function immutablePath(path: readonly string[], allowSetFromEmpty = false): Rule {
  return (old, next) => {
    const before = getPath(old, path);
    const after = getPath(next, path);
    if (allowSetFromEmpty && (before === undefined || before === '')) return undefined;
    if (deepEqual(before, after)) return undefined;
    return { field: path.join('.'), message: 'field is immutable', type: 'FieldValueInvalid' };
  };
}

const immutableData: Rule = (old, next) => {
  if (old.immutable !== true) return undefined;
  if (next.immutable !== true)
    return { field: 'immutable', message: 'field is immutable when `immutable` is set' };
  for (const field of ['data', 'binaryData']) {
    if (!deepEqual(old[field] ?? {}, next[field] ?? {})) {
      return { field, message: 'field is immutable when `immutable` is set' };
    }
  }
  return undefined;
};

/** A change to any spec field but these is refused, in the API server's words (apps/v1 validation). */
const statefulSetSpec: Rule = (old, next) => {
  const mutable = new Set([
    'replicas',
    'ordinals',
    'template',
    'updateStrategy',
    'persistentVolumeClaimRetentionPolicy',
    'minReadySeconds',
  ]);
  const rest = (o: Obj) =>
    Object.fromEntries(Object.entries(isObj(o.spec) ? o.spec : {}).filter(([k]) => !mutable.has(k)));
  if (deepEqual(rest(old), rest(next))) return undefined;
  return {
    field: 'spec',
    message:
      "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    type: 'FieldValueForbidden',
  };
};

/** A field refused with the API server's own wording (not every strategy says "immutable"). */
function forbiddenPath(path: readonly string[], message: string): Rule {
  return (old, next) =>
    deepEqual(getPath(old, path), getPath(next, path))
      ? undefined
      : { field: path.join('.'), message, type: 'FieldValueForbidden' };
}

const RULES: Record<string, readonly Rule[]> = {
  '/configmaps': [immutableData],
  '/secrets': [immutableData, immutablePath(['type'])],
  '/services': [immutablePath(['spec', 'clusterIP'], true)],
  'apps/deployments': [immutablePath(['spec', 'selector'])],
  'apps/statefulsets': [statefulSetSpec],
  'apps/daemonsets': [immutablePath(['spec', 'selector'])],
  'apps/replicasets': [immutablePath(['spec', 'selector'])],
  'batch/jobs': [immutablePath(['spec', 'selector']), immutablePath(['spec', 'template'])],
  'storage.k8s.io/storageclasses': [
    forbiddenPath(['provisioner'], 'Forbidden: updates to provisioner are forbidden.'),
    forbiddenPath(['parameters'], 'Forbidden: updates to parameters are forbidden.'),
    forbiddenPath(['reclaimPolicy'], 'Forbidden: updates to reclaimPolicy are forbidden.'),
  ],
  'rbac.authorization.k8s.io/rolebindings': [
    forbiddenPath(['roleRef'], 'Invalid value: cannot change roleRef'),
  ],
  'rbac.authorization.k8s.io/clusterrolebindings': [
    forbiddenPath(['roleRef'], 'Invalid value: cannot change roleRef'),
  ],
};

/** Rejects changes to immutable fields with 422 Invalid, as the real API server's strategies do. */
export function validateUpdate(rt: ResourceType, old: Obj, next: Obj): void {
  const rules = RULES[`${rt.group}/${rt.plural}`] ?? [];
  const causes = rules.map((rule) => rule(old, next)).filter((c): c is StatusCause => c !== undefined);
  if (causes.length > 0) throw invalid(rt.kind, rt.group, str(metaOf(next).name) ?? '', causes);
}
