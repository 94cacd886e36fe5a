/**
 * The clusterrole-aggregation-controller: a ClusterRole with an `aggregationRule` holds the rules of
 * every other ClusterRole its selectors match, in name order, without repeats. Like the real one
 * (kubernetes 1.26+), it writes them with a forced server-side apply as its own field manager, so
 * `rules` then belongs to the controller and not to whoever applied the aggregated role.
 */
import type { ApiCore } from './core';
import { deepEqual, isObj, metaOf, str } from './objects';
import { patchObject } from './operations/patch';
import type { Obj } from './schema';
import { type LabelSelector, labelSelectorFromObject, matchesLabels, SelectorError } from './selectors';

export const AGGREGATION_MANAGER = 'clusterrole-aggregation-controller';

function selectorsOf(role: Obj): LabelSelector[] | undefined {
  const rule = role.aggregationRule;
  if (!isObj(rule) || !Array.isArray(rule.clusterRoleSelectors)) return undefined;
  const selectors: LabelSelector[] = [];
  for (const raw of rule.clusterRoleSelectors) {
    if (!isObj(raw)) continue;
    try {
      selectors.push(labelSelectorFromObject(raw));
    } catch (err: unknown) {
      // The API server validates selectors on write; one the sandbox cannot read aggregates nothing.
      if (err instanceof SelectorError) continue;
      throw err;
    }
  }
  return selectors;
}

function labelsOf(role: Obj): Record<string, string> | undefined {
  const labels = metaOf(role).labels;
  return isObj(labels) ? (labels as Record<string, string>) : undefined;
}

/** Brings every aggregated ClusterRole's rules up to date; returns how many it wrote. */
export function aggregateClusterRoles(core: ApiCore): number {
  const rt = core.registry.anyVersion('rbac.authorization.k8s.io', 'clusterroles');
  if (!rt) return 0;
  const roles = core.store
    .list(core.resourceKey(rt))
    .filter((r) => !metaOf(r).deletionTimestamp)
    .sort((a, b) => (str(metaOf(a).name) ?? '').localeCompare(str(metaOf(b).name) ?? ''));
  let written = 0;
  for (const role of roles) {
    const selectors = selectorsOf(role);
    if (selectors === undefined) continue;
    const name = str(metaOf(role).name) ?? '';
    const rules: unknown[] = [];
    for (const selector of selectors)
      for (const other of roles) {
        if (other === role || !matchesLabels(selector, labelsOf(other))) continue;
        for (const rule of Array.isArray(other.rules) ? other.rules : [])
          if (!rules.some((r) => deepEqual(r, rule))) rules.push(rule);
      }
    if (deepEqual(rules, Array.isArray(role.rules) ? role.rules : [])) continue;
    const applied = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name },
      rules,
    };
    patchObject(
      core,
      {
        rt,
        namespace: '',
        name,
        subresource: undefined,
        query: new URLSearchParams({ fieldManager: AGGREGATION_MANAGER, force: 'true' }),
        userAgent: AGGREGATION_MANAGER,
        warnings: [],
      },
      'application/apply-patch+yaml',
      JSON.stringify(applied),
    );
    written++;
  }
  return written;
}
