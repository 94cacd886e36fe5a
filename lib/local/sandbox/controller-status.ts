/**
 * Status the sandbox's controllers write for kinds beyond the workloads of controller.ts: the
 * cloud provider's load balancer address, ReplicationController replicas, PersistentVolume phase.
 */
import { createHash } from 'node:crypto';
import { isObj, metaOf, str } from './objects';
import type { Obj } from './schema';

/** The region in the hostnames the sandbox's load balancers get. */
const REGION = 'us-east-1';

/**
 * The hostname the AWS Load Balancer Controller gives a Service's NLB: `k8s-<ns>-<name>-<hash>`
 * (namespace and name cut to 8 characters each) under `elb.<region>.amazonaws.com`. Stable per
 * namespace and name, so a recomputed status is the same status.
 */
export function loadBalancerHostname(namespace: string, name: string): string {
  const hash = createHash('sha256').update(`${namespace}/${name}`).digest('hex');
  const cut = (s: string): string => s.slice(0, 8).replace(/-+$/, '');
  return `k8s-${cut(namespace)}-${cut(name)}-${hash.slice(0, 10)}.elb.${REGION}.amazonaws.com`;
}

/**
 * A LoadBalancer Service gets one ingress point with a hostname, as on EKS; any other type has an
 * empty `loadBalancer` (the service controller clears it when the type changes back).
 */
export function serviceStatus(object: Obj, failing: boolean, previous: Obj): Obj {
  const spec = isObj(object.spec) ? object.spec : {};
  const isLoadBalancer = str(spec.type) === 'LoadBalancer';
  if (!isLoadBalancer || failing) {
    const had = isObj(previous.loadBalancer) && Object.keys(previous.loadBalancer).length > 0;
    return had ? { ...previous, loadBalancer: {} } : previous;
  }
  const meta = metaOf(object);
  const hostname = loadBalancerHostname(str(meta.namespace) ?? '', str(meta.name) ?? '');
  return { ...previous, loadBalancer: { ingress: [{ hostname }] } };
}

export function replicationControllerStatus(object: Obj, failing: boolean): Obj {
  const spec = isObj(object.spec) ? object.spec : {};
  const n = typeof spec.replicas === 'number' ? spec.replicas : 1;
  const ready = failing ? 0 : n;
  return {
    observedGeneration: metaOf(object).generation,
    replicas: n,
    fullyLabeledReplicas: n,
    readyReplicas: ready,
    availableReplicas: ready,
  };
}

/** A volume is Available until something claims it; the sandbox has no binder, so claimRef decides. */
export function persistentVolumeStatus(object: Obj): Obj {
  const spec = isObj(object.spec) ? object.spec : {};
  return { phase: isObj(spec.claimRef) ? 'Bound' : 'Available' };
}
