import { formatId, groupOf, isObj } from '../manifests';
import type { Change } from './changeset';
import type { DesiredObject } from './desired';

/**
 * Workloads of the app that declare `spec.replicas` while a HorizontalPodAutoscaler of the app
 * scales them: each sync sets the count back, and each check reports drift as the autoscaler moves
 * it. Reported, not hidden: dropping `replicas` from the manifest is the fix (an apply without the
 * field leaves it to the autoscaler), as Flux and Argo CD advise.
 */
export function replicasScaledByHpa(desired: readonly DesiredObject[]): Map<string, string> {
  const byRef = new Map<string, DesiredObject>();
  for (const d of desired) {
    const spec = d.object.spec;
    if (isObj(spec) && spec.replicas !== undefined && spec.replicas !== null)
      byRef.set(`${groupOf(d.object.apiVersion)}/${d.object.kind}/${d.id.namespace}/${d.id.name}`, d);
  }
  const out = new Map<string, string>();
  for (const hpa of desired) {
    if (hpa.object.kind !== 'HorizontalPodAutoscaler' || groupOf(hpa.object.apiVersion) !== 'autoscaling')
      continue;
    const ref = isObj(hpa.object.spec) ? hpa.object.spec.scaleTargetRef : undefined;
    if (!isObj(ref) || typeof ref.kind !== 'string' || typeof ref.name !== 'string') continue;
    const group = typeof ref.apiVersion === 'string' ? groupOf(ref.apiVersion) : 'apps';
    const target = byRef.get(`${group}/${ref.kind}/${hpa.id.namespace}/${ref.name}`);
    if (target)
      out.set(
        formatId(target.id),
        `spec.replicas is declared, but HorizontalPodAutoscaler ${hpa.id.name} scales this ${ref.kind}: every sync resets the count and every check reports drift; drop replicas from the manifest`,
      );
  }
  return out;
}

/** The changes, with the replicas warning added to each workload it concerns. */
export function withReplicasWarnings(
  changes: readonly Change[],
  warnings: ReadonlyMap<string, string>,
): Change[] {
  if (warnings.size === 0) return [...changes];
  return changes.map((c) => {
    const warning = warnings.get(formatId(c.id));
    return warning ? { ...c, warnings: [...(c.warnings ?? []), warning] } : c;
  });
}
