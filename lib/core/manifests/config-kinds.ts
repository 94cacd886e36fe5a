import type { Obj } from './object';

/**
 * Why a document in a plain directory is configuration for another tool rather than an object for the
 * API server, or undefined. Real repositories hold both: Flux's `clusters/<env>/flux-system` has a
 * kustomize `kustomization.yaml` (no metadata: not an object) beside Flux's own Kustomization and
 * GitRepository objects, which drive the Flux controllers that Plumbline stands in for.
 */
export function configKindReason(value: Obj): string | undefined {
  const { apiVersion, kind } = value;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return undefined;
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.lastIndexOf('/')) : '';
  if (group === 'kustomize.config.k8s.io') {
    return `a Kustomize ${kind} is a build file, not an object; set renderer: kustomize to build the directory`;
  }
  if (group.endsWith('.toolkit.fluxcd.io')) {
    return `a Flux ${kind} configures Flux's controllers; Plumbline syncs the repository itself`;
  }
  return undefined;
}
