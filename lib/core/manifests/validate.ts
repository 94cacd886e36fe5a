import { hasHookAnnotation } from './annotations';
import { ManifestError } from './errors';
import { groupOf, isObj, type KubeObject, type Obj } from './object';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_RULE =
  "a DNS-1123 label: at most 63 lowercase letters, digits or '-', starting and ending with a letter or digit";
const SUBDOMAIN_RULE =
  "a DNS-1123 subdomain: at most 253 lowercase letters, digits, '-' or '.', each part starting and ending with a letter or digit";
const SEGMENT_RULE = "a path segment name: not '.' or '..', without '/' or '%'";

/** Core kinds whose names the API server checks as DNS labels (they become DNS names). */
const LABEL_NAMED_KINDS = new Set(['Namespace', 'Service']);
/** The API server checks RBAC names as path segments: `system:controller:x` is valid. */
const RBAC_GROUP = 'rbac.authorization.k8s.io';

function fail(where: string, detail: string): never {
  throw new ManifestError(`${where}: ${detail}`);
}

/** A user value in a message: quoted, control characters escaped, long values cut. */
function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a sequence';
  if (typeof value === 'object') return 'a mapping';
  return `a ${typeof value}`;
}

function isLabel(text: string): boolean {
  return text.length <= 63 && DNS1123_LABEL.test(text);
}

function isSubdomain(text: string): boolean {
  return text.length <= 253 && DNS1123_SUBDOMAIN.test(text);
}

function isPathSegment(text: string): boolean {
  return text !== '.' && text !== '..' && !text.includes('/') && !text.includes('%');
}

function requiredString(object: Obj, field: string, path: string, where: string): string {
  const value = object[field];
  if (value === undefined || value === null) fail(where, `${path} is required`);
  if (typeof value !== 'string') fail(where, `${path} must be a string, not ${describe(value)}`);
  if (value === '') fail(where, `${path} must not be empty`);
  return value;
}

function checkName(name: string, apiVersion: string, kind: string, where: string): void {
  const group = groupOf(apiVersion);
  const [valid, rule] =
    group === '' && LABEL_NAMED_KINDS.has(kind)
      ? [isLabel(name), LABEL_RULE]
      : group === RBAC_GROUP
        ? [isPathSegment(name), SEGMENT_RULE]
        : [isSubdomain(name), SUBDOMAIN_RULE];
  if (!valid) fail(where, `metadata.name ${quote(name)} of a ${kind} is not ${rule}`);
}

/** Labels and annotations: absent, null (dropped) or a mapping of strings. */
function checkStringMap(metadata: Obj, field: 'labels' | 'annotations', where: string): void {
  const value = metadata[field];
  if (value === null || value === undefined) {
    delete metadata[field];
    return;
  }
  if (!isObj(value)) fail(where, `metadata.${field} must be a mapping of strings, not ${describe(value)}`);
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') {
      fail(where, `metadata.${field}[${quote(key)}] must be a string, not ${describe(entry)} (quote it)`);
    }
  }
}

function checkNamespace(metadata: Obj, where: string): void {
  const { namespace } = metadata;
  // kubectl reads an empty or null namespace as none: the default namespace applies.
  if (namespace === null || namespace === undefined || namespace === '') {
    delete metadata.namespace;
    return;
  }
  if (typeof namespace !== 'string') {
    fail(where, `metadata.namespace must be a string, not ${describe(namespace)}`);
  }
  if (!isLabel(namespace)) fail(where, `metadata.namespace ${quote(namespace)} is not ${LABEL_RULE}`);
}

/**
 * Checks that a parsed document is a Kubernetes object Plumbline can track: apiVersion, kind,
 * a stable name valid for its kind, a valid namespace, string labels and annotations. Empty or
 * null namespace, labels and annotations are removed, as the API server would ignore them.
 * @throws ManifestError `<where>: <what is wrong>`
 */
export function toKubeObject(value: unknown, where: string): KubeObject {
  if (!isObj(value)) fail(where, `a manifest must be a mapping, not ${describe(value)}`);
  const apiVersion = requiredString(value, 'apiVersion', 'apiVersion', where);
  const kind = requiredString(value, 'kind', 'kind', where);
  const { metadata } = value;
  if (metadata === undefined || metadata === null) fail(where, 'metadata is required');
  if (!isObj(metadata)) fail(where, `metadata must be a mapping, not ${describe(metadata)}`);
  if ((metadata.name === undefined || metadata.name === null) && metadata.generateName !== undefined) {
    // A hook runs anew each sync and is never tracked, so it needs no stable name; anything else does.
    if (!hasHookAnnotation(isObj(metadata.annotations) ? metadata.annotations : undefined))
      fail(
        where,
        'metadata.generateName is supported for hooks only (helm.sh/hook, argocd.argoproj.io/hook): GitOps needs a stable metadata.name',
      );
    const prefix = requiredString(metadata, 'generateName', 'metadata.generateName', where);
    // The server appends five characters: the prefix must make a valid name with them.
    checkName(`${prefix}x`, apiVersion, kind, where);
    // '' is how the API itself spells "named by generateName" (ObjectMeta.name is empty).
    metadata.name = '';
  } else {
    const name = requiredString(metadata, 'name', 'metadata.name', where);
    checkName(name, apiVersion, kind, where);
  }
  checkNamespace(metadata, where);
  checkStringMap(metadata, 'labels', where);
  checkStringMap(metadata, 'annotations', where);
  return value as KubeObject;
}
