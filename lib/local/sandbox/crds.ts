import { invalid, type StatusCause } from './errors';
import { isObj, metaOf, str } from './objects';
import type { ResourceType } from './registry';
import { crdSchema, type Obj } from './schema';

/** The resource types a CustomResourceDefinition serves, after validating its spec (422 if wrong). */
export function crdResourceTypes(crd: Obj): ResourceType[] {
  const name = str(metaOf(crd).name) ?? '';
  const spec = isObj(crd.spec) ? crd.spec : {};
  const names = isObj(spec.names) ? spec.names : {};
  const group = str(spec.group) ?? '';
  const plural = str(names.plural) ?? '';
  const kind = str(names.kind) ?? '';
  const causes: StatusCause[] = [];
  if (!group) causes.push({ field: 'spec.group', message: 'Required value' });
  if (!plural) causes.push({ field: 'spec.names.plural', message: 'Required value' });
  if (!kind) causes.push({ field: 'spec.names.kind', message: 'Required value' });
  if (group && plural && name !== `${plural}.${group}`) {
    causes.push({
      field: 'metadata.name',
      message: `Invalid value: "${name}": must be spec.names.plural+"."+spec.group`,
    });
  }
  const scope = str(spec.scope);
  if (scope !== 'Namespaced' && scope !== 'Cluster') {
    causes.push({ field: 'spec.scope', message: 'Unsupported value: must be "Namespaced" or "Cluster"' });
  }
  const versions = Array.isArray(spec.versions) ? spec.versions.filter(isObj) : [];
  if (versions.length === 0)
    causes.push({
      field: 'spec.versions',
      message: 'Required value: must have exactly one version marked as storage version',
    });
  const storageCount = versions.filter((v) => v.storage === true).length;
  if (versions.length > 0 && storageCount !== 1) {
    causes.push({
      field: 'spec.versions',
      message: 'Invalid value: must have exactly one version marked as storage version',
    });
  }
  if (causes.length > 0) throw invalid('CustomResourceDefinition', 'apiextensions.k8s.io', name, causes);
  const shortNames = Array.isArray(names.shortNames)
    ? names.shortNames.filter((s): s is string => typeof s === 'string')
    : [];
  const categories = Array.isArray(names.categories)
    ? names.categories.filter((s): s is string => typeof s === 'string')
    : [];
  return versions
    .filter((v) => v.served !== false)
    .map((v) => ({
      group,
      version: str(v.name) ?? '',
      kind,
      listKind: str(names.listKind) ?? `${kind}List`,
      plural,
      singular: str(names.singular) ?? kind.toLowerCase(),
      namespaced: scope === 'Namespaced',
      shortNames,
      categories,
      schema: crdSchema(isObj(v.schema) ? v.schema.openAPIV3Schema : undefined),
      crd: name,
      storage: v.storage === true,
    }));
}

/**
 * The status the apiextensions controller reports once names are accepted: Established at once.
 * A condition already True keeps its lastTransitionTime (`previous` is the stored status), so an
 * unchanged CRD re-applied, or diffed with a dry run, shows no change.
 */
export function crdStatus(crd: Obj, now: string, previous?: unknown): Obj {
  const spec = isObj(crd.spec) ? crd.spec : {};
  const names = isObj(spec.names) ? spec.names : {};
  const versions = Array.isArray(spec.versions) ? spec.versions.filter(isObj) : [];
  const storage = versions.find((v) => v.storage === true);
  const before = isObj(previous) && Array.isArray(previous.conditions) ? previous.conditions : [];
  const since = (type: string): string => {
    const old = before.find((c) => isObj(c) && c.type === type && c.status === 'True');
    return (isObj(old) ? str(old.lastTransitionTime) : undefined) ?? now;
  };
  const condition = (type: string, reason: string, message: string): Obj => ({
    type,
    status: 'True',
    lastTransitionTime: since(type),
    reason,
    message,
  });
  return {
    acceptedNames: {
      ...names,
      listKind: str(names.listKind) ?? `${str(names.kind) ?? ''}List`,
      singular: str(names.singular) ?? (str(names.kind) ?? '').toLowerCase(),
    },
    conditions: [
      condition('NamesAccepted', 'NoConflicts', 'no conflicts found'),
      condition('Established', 'InitialNamesAccepted', 'the initial names have been accepted'),
    ],
    storedVersions: storage ? [str(storage.name) ?? ''] : [],
  };
}
