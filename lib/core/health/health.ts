/**
 * Health of a live object, with the semantics of kstatus and Argo CD's health checks: Healthy when it
 * does what the spec asks, Progressing while it gets there, Degraded when it will not without help.
 */
import { groupOf, isObj, type Obj } from '../manifests/object';
import {
  at,
  condition,
  degraded,
  explain,
  type Health,
  healthy,
  isTrue,
  progressing,
  staleGeneration,
  str,
} from './status';
import {
  daemonSetHealth,
  deploymentHealth,
  jobHealth,
  replicaSetHealth,
  statefulSetHealth,
} from './workloads';

type Rule = (object: Obj) => Health;

const RULES: ReadonlyMap<string, Rule> = new Map([
  ['apps/Deployment', deploymentHealth],
  ['extensions/Deployment', deploymentHealth],
  ['apps/StatefulSet', statefulSetHealth],
  ['apps/DaemonSet', daemonSetHealth],
  ['extensions/DaemonSet', daemonSetHealth],
  ['apps/ReplicaSet', replicaSetHealth],
  ['extensions/ReplicaSet', replicaSetHealth],
  ['batch/Job', jobHealth],
  ['/PersistentVolumeClaim', claimHealth],
  ['/Service', serviceHealth],
  ['apiextensions.k8s.io/CustomResourceDefinition', crdHealth],
]);

export function assessHealth(object: Obj): Health {
  const apiVersion = str(object.apiVersion) ?? '';
  const kind = str(object.kind) ?? '';
  const rule = RULES.get(`${groupOf(apiVersion)}/${kind}`) ?? genericHealth;
  return rule(object);
}

function claimHealth(object: Obj): Health {
  const phase = str(at(object, 'status', 'phase')) ?? 'Pending';
  if (phase === 'Bound') return healthy('PersistentVolumeClaim is Bound');
  // Lost: the bound volume is gone; the claim cannot recover without someone restoring it.
  if (phase === 'Lost') return degraded('PersistentVolumeClaim lost its volume');
  return progressing(`PersistentVolumeClaim is ${phase}`);
}

function serviceHealth(object: Obj): Health {
  const type = str(at(object, 'spec', 'type')) ?? 'ClusterIP';
  if (type !== 'LoadBalancer') return healthy(`Service of type ${type}`);
  const ingress = at(object, 'status', 'loadBalancer', 'ingress');
  const points = Array.isArray(ingress) ? ingress.length : 0;
  if (points === 0) return progressing('waiting for the load balancer to be provisioned');
  return healthy(`load balancer has ${points} ingress point${points === 1 ? '' : 's'}`);
}

function crdHealth(object: Obj): Health {
  const names = condition(object, 'NamesAccepted');
  if (names?.status === 'False')
    return degraded(`names not accepted: ${explain(names) || 'no reason given'}`);
  if (isTrue(object, 'Established')) return healthy('CustomResourceDefinition is established');
  return progressing('waiting for the CustomResourceDefinition to be established');
}

/**
 * Reasons of a `Ready=False` condition that mean the controller gave up rather than is still working:
 * Flux writes `ReconciliationFailed`, `ArtifactFailed`, cert-manager `Failed`, and so on. Anything
 * else (`Progressing`, `DependencyNotReady`, `Issuing`) is work in progress.
 */
const FAILURE_REASON =
  /fail|error|invalid|denied|forbidden|backoff|crash|exceeded|timeout|timedout|unauthori[sz]ed|conflict|unhealthy|stalled/i;

/**
 * Any other kind: the kstatus conventions. A stale observedGeneration first (the rest of the status
 * is about an older spec), then `Stalled`, `Ready` and `Reconciling` conditions; with none of these
 * the object is Healthy, since existing is all a ConfigMap or a Role ever does.
 */
function genericHealth(object: Obj): Health {
  const stale = staleGeneration(object, false);
  if (stale) return stale;
  const stalled = condition(object, 'Stalled');
  if (stalled?.status === 'True') return degraded(`stalled: ${explain(stalled) || 'no reason given'}`);
  const ready = condition(object, 'Ready');
  if (ready?.status === 'True') return healthy(ready.message || 'Ready');
  if (ready?.status === 'False') {
    const why = explain(ready) || 'no reason given';
    return FAILURE_REASON.test(ready.reason)
      ? degraded(`not ready: ${why}`)
      : progressing(`not ready: ${why}`);
  }
  if (ready !== undefined) return progressing(`readiness unknown: ${explain(ready) || 'no reason given'}`);
  const reconciling = condition(object, 'Reconciling');
  if (reconciling?.status === 'True')
    return progressing(`reconciling: ${explain(reconciling) || 'no reason given'}`);
  return healthy(isObj(object.status) ? 'no failing conditions' : 'exists');
}
