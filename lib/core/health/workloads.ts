/**
 * Health of the built-in workload controllers, as `kubectl rollout status` and Argo CD's health
 * checks judge them: the controller has observed the latest generation, and enough replicas of the
 * new revision are up.
 */
import type { Obj } from '../manifests/object';
import {
  at,
  condition,
  degraded,
  explain,
  type Health,
  healthy,
  isTrue,
  num,
  progressing,
  staleGeneration,
  str,
} from './status';

/** `spec.replicas` defaults to 1 when the manifest leaves it out. */
function specReplicas(object: Obj): number {
  return num(at(object, 'spec', 'replicas')) ?? 1;
}

function count(object: Obj, field: string): number {
  return num(at(object, 'status', field)) ?? 0;
}

export function deploymentHealth(object: Obj): Health {
  const stale = staleGeneration(object, true);
  if (stale) return stale;
  const progress = condition(object, 'Progressing');
  if (progress?.status === 'False' && progress.reason === 'ProgressDeadlineExceeded')
    return degraded(`progress deadline exceeded: ${progress.message || 'the rollout made no progress'}`);
  // No "Suspended" status here: a pause is deliberate, and reporting it as Progressing would make a
  // sync that waits for health time out on every paused Deployment.
  if (at(object, 'spec', 'paused') === true) return healthy('rollout is paused');
  const replicas = specReplicas(object);
  const updated = count(object, 'updatedReplicas');
  const total = count(object, 'replicas');
  const available = count(object, 'availableReplicas');
  if (updated < replicas) return progressing(`${updated} of ${replicas} replicas are updated`);
  if (total > updated) return progressing(`${total - updated} old replicas are pending termination`);
  if (available < updated) return progressing(`${available} of ${updated} updated replicas are available`);
  const availableCondition = condition(object, 'Available');
  if (availableCondition?.status === 'False')
    return progressing(`Deployment is not available: ${explain(availableCondition) || 'no reason given'}`);
  return healthy(`${available} of ${replicas} replicas are available`);
}

export function statefulSetHealth(object: Obj): Health {
  const stale = staleGeneration(object, true);
  if (stale) return stale;
  const replicas = specReplicas(object);
  const ready = count(object, 'readyReplicas');
  if (ready < replicas) return progressing(`${ready} of ${replicas} replicas are ready`);
  // OnDelete replaces pods only when someone deletes them, so there is no rollout to wait for.
  if ((str(at(object, 'spec', 'updateStrategy', 'type')) ?? 'RollingUpdate') !== 'RollingUpdate')
    return healthy(`${ready} of ${replicas} replicas are ready`);
  const updated = count(object, 'updatedReplicas');
  const partition = num(at(object, 'spec', 'updateStrategy', 'rollingUpdate', 'partition')) ?? 0;
  if (partition > 0) {
    // A partitioned rollout deliberately stops short; the revisions never converge until it ends.
    const expected = Math.max(replicas - partition, 0);
    if (updated < expected)
      return progressing(`${updated} of ${expected} replicas are updated (partition ${partition})`);
    return healthy(`${updated} of ${expected} replicas are updated (partition ${partition})`);
  }
  if (updated < replicas) return progressing(`${updated} of ${replicas} replicas are updated`);
  const current = str(at(object, 'status', 'currentRevision'));
  const update = str(at(object, 'status', 'updateRevision'));
  if (current !== update)
    return progressing(`waiting for the rolling update to finish: revision ${update} (current ${current})`);
  return healthy(`${ready} of ${replicas} replicas are ready`);
}

export function daemonSetHealth(object: Obj): Health {
  const stale = staleGeneration(object, true);
  if (stale) return stale;
  const desired = count(object, 'desiredNumberScheduled');
  if (str(at(object, 'spec', 'updateStrategy', 'type')) === 'OnDelete')
    return healthy(`${desired} pods are scheduled (OnDelete)`);
  const updated = count(object, 'updatedNumberScheduled');
  const available = count(object, 'numberAvailable');
  if (updated < desired) return progressing(`${updated} of ${desired} updated pods are scheduled`);
  if (available < desired) return progressing(`${available} of ${desired} updated pods are available`);
  return healthy(`${available} of ${desired} pods are available`);
}

export function replicaSetHealth(object: Obj): Health {
  const stale = staleGeneration(object, true);
  if (stale) return stale;
  const failure = condition(object, 'ReplicaFailure');
  if (failure?.status === 'True')
    return degraded(`replica failure: ${explain(failure) || 'no reason given'}`);
  const replicas = specReplicas(object);
  const available = count(object, 'availableReplicas');
  if (available < replicas) return progressing(`${available} of ${replicas} replicas are available`);
  return healthy(`${available} of ${replicas} replicas are available`);
}

export function jobHealth(object: Obj): Health {
  // SuccessCriteriaMet and FailureTarget come first, before the pods are cleaned up (Kubernetes 1.31+).
  if (isTrue(object, 'SuccessCriteriaMet') || isTrue(object, 'Complete')) return healthy('job completed');
  for (const type of ['FailureTarget', 'Failed']) {
    const failed = condition(object, type);
    if (failed?.status === 'True') return degraded(`job failed: ${explain(failed) || 'no reason given'}`);
  }
  if (at(object, 'spec', 'suspend') === true) return progressing('job is suspended');
  const active = count(object, 'active');
  const succeeded = count(object, 'succeeded');
  const failed = count(object, 'failed');
  return progressing(`job is running: ${active} active, ${succeeded} succeeded, ${failed} failed`);
}
