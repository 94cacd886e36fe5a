import { aggregateClusterRoles } from './aggregation';
import { persistentVolumeStatus, replicationControllerStatus, serviceStatus } from './controller-status';
import type { ApiCore } from './core';
import { isObj, metaOf, nowIso, str } from './objects';
import { removeOrMark } from './operations/delete';
import type { ResourceType } from './registry';
import type { Obj } from './schema';
import type { StoreEvent } from './store';

/** Keeps one workload unhealthy: its rollout never becomes available (Jobs fail). */
export const FAIL_ROLLOUT_ANNOTATION = 'sandbox.plumbline.dev/fail-rollout';

const WORKLOADS = new Set([
  'apps/deployments',
  'apps/replicasets',
  'apps/statefulsets',
  'apps/daemonsets',
  'batch/jobs',
  '/pods',
  '/persistentvolumeclaims',
  '/persistentvolumes',
  '/replicationcontrollers',
  '/services',
]);

type StatusFn = (object: Obj, failing: boolean, previous: Obj) => Obj;

function replicasOf(object: Obj): number {
  const spec = isObj(object.spec) ? object.spec : {};
  return typeof spec.replicas === 'number' ? spec.replicas : 1;
}

function condition(previous: Obj, type: string, status: boolean, reason: string, message: string): Obj {
  const old = Array.isArray(previous.conditions)
    ? previous.conditions.find((c) => isObj(c) && c.type === type)
    : undefined;
  const value = status ? 'True' : 'False';
  const since = isObj(old) && old.status === value ? str(old.lastTransitionTime) : undefined;
  const now = nowIso();
  return {
    type,
    status: value,
    lastUpdateTime: since ?? now,
    lastTransitionTime: since ?? now,
    reason,
    message,
  };
}

const STATUS: Record<string, StatusFn> = {
  'apps/deployments': (o, failing, prev) => {
    const n = replicasOf(o);
    const ready = failing ? 0 : n;
    const name = str(metaOf(o).name);
    return {
      observedGeneration: metaOf(o).generation,
      replicas: n,
      updatedReplicas: n,
      readyReplicas: ready,
      availableReplicas: ready,
      ...(failing && n > 0 ? { unavailableReplicas: n } : {}),
      conditions: [
        failing
          ? condition(
              prev,
              'Available',
              false,
              'MinimumReplicasUnavailable',
              'Deployment does not have minimum availability.',
            )
          : condition(
              prev,
              'Available',
              true,
              'MinimumReplicasAvailable',
              'Deployment has minimum availability.',
            ),
        failing
          ? condition(
              prev,
              'Progressing',
              false,
              'ProgressDeadlineExceeded',
              `ReplicaSet "${name}" has timed out progressing.`,
            )
          : condition(
              prev,
              'Progressing',
              true,
              'NewReplicaSetAvailable',
              `ReplicaSet "${name}" has successfully progressed.`,
            ),
      ],
    };
  },
  'apps/replicasets': (o, failing) => {
    const n = replicasOf(o);
    const ready = failing ? 0 : n;
    return {
      observedGeneration: metaOf(o).generation,
      replicas: n,
      fullyLabeledReplicas: n,
      readyReplicas: ready,
      availableReplicas: ready,
    };
  },
  'apps/statefulsets': (o, failing) => {
    const n = replicasOf(o);
    const ready = failing ? 0 : n;
    const revision = `${str(metaOf(o).name)}-${String(metaOf(o).generation)}`;
    return {
      observedGeneration: metaOf(o).generation,
      replicas: n,
      readyReplicas: ready,
      availableReplicas: ready,
      currentReplicas: n,
      updatedReplicas: n,
      currentRevision: revision,
      updateRevision: revision,
    };
  },
  'apps/daemonsets': (o, failing) => ({
    observedGeneration: metaOf(o).generation,
    desiredNumberScheduled: 1,
    currentNumberScheduled: 1,
    updatedNumberScheduled: 1,
    numberReady: failing ? 0 : 1,
    numberAvailable: failing ? 0 : 1,
    ...(failing ? { numberUnavailable: 1 } : {}),
    numberMisscheduled: 0,
  }),
  'batch/jobs': (o, failing, prev) => {
    const spec = isObj(o.spec) ? o.spec : {};
    const completions = typeof spec.completions === 'number' ? spec.completions : 1;
    const start = str(prev.startTime) ?? nowIso();
    if (failing) {
      return {
        startTime: start,
        failed: 1,
        conditions: [
          condition(
            prev,
            'FailureTarget',
            true,
            'BackoffLimitExceeded',
            'Job has reached the specified backoff limit',
          ),
          condition(
            prev,
            'Failed',
            true,
            'BackoffLimitExceeded',
            'Job has reached the specified backoff limit',
          ),
        ],
      };
    }
    return {
      startTime: start,
      completionTime: str(prev.completionTime) ?? nowIso(),
      succeeded: completions,
      conditions: [
        condition(
          prev,
          'SuccessCriteriaMet',
          true,
          'CompletionsReached',
          'Reached expected number of succeeded pods',
        ),
        condition(prev, 'Complete', true, 'CompletionsReached', 'Reached expected number of succeeded pods'),
      ],
    };
  },
  '/pods': (o, failing, prev) => {
    const restart = isObj(o.spec) ? o.spec.restartPolicy : undefined;
    // A pod that is not restarted runs to completion (a hook's, a test's): the sandbox runs no
    // containers, so it ends at once, Failed when annotated to fail.
    if (restart === 'Never' || restart === 'OnFailure')
      return {
        phase: failing ? 'Failed' : 'Succeeded',
        conditions: [condition(prev, 'Ready', false, 'PodCompleted', '')],
        startTime: str(prev.startTime) ?? nowIso(),
      };
    return {
      phase: failing ? 'Pending' : 'Running',
      conditions: [condition(prev, 'Ready', !failing, failing ? 'ContainersNotReady' : '', '')],
      startTime: str(prev.startTime) ?? nowIso(),
    };
  },
  '/persistentvolumeclaims': () => ({ phase: 'Bound' }),
  '/persistentvolumes': persistentVolumeStatus,
  '/replicationcontrollers': replicationControllerStatus,
  '/services': serviceStatus,
};

/** Whether two statuses are equal once timestamps are ignored: a recomputed status like that causes no write. */
function sameSubstance(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bs = b as unknown[];
    return a.length === bs.length && a.every((item, i) => sameSubstance(item, bs[i]));
  }
  const keep = (k: string): boolean => !k.endsWith('Time');
  const ak = Object.keys(a).filter(keep);
  const bk = Object.keys(b).filter(keep);
  return ak.length === bk.length && ak.every((k) => sameSubstance((a as Obj)[k], (b as Obj)[k]));
}

/**
 * The sandbox's controllers: workloads report status after `delayMs`, Jobs complete,
 * terminating Namespaces are emptied and removed. No Pods or ReplicaSets are created.
 */
export class SandboxController {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly pending = new Set<string>();
  private readonly listener = (event: StoreEvent): void => this.onEvent(event);

  constructor(
    private readonly core: ApiCore,
    private readonly delayMs: number,
  ) {
    core.store.events.on('event', this.listener);
  }

  stop(): void {
    this.core.store.events.off('event', this.listener);
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private onEvent(event: StoreEvent): void {
    // Any change to a ClusterRole can change what an aggregated one holds.
    if (event.resource === 'rbac.authorization.k8s.io/clusterroles')
      this.later('clusterrole-aggregation', () => aggregateClusterRoles(this.core));
    if (event.type === 'DELETED') return;
    const meta = metaOf(event.object);
    if (event.resource === '/namespaces' && meta.deletionTimestamp) {
      this.later(`ns/${String(meta.name)}`, () => this.finalizeNamespace(String(meta.name)));
      return;
    }
    if (WORKLOADS.has(event.resource) && !meta.deletionTimestamp) {
      const key = `${event.resource}/${event.namespace}/${String(meta.name)}`;
      this.later(key, () => this.reconcile(event.resource, event.namespace, String(meta.name)));
    }
  }

  private later(key: string, fn: () => void): void {
    if (this.pending.has(key)) return;
    this.pending.add(key);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.pending.delete(key);
      fn();
    }, this.delayMs);
    timer.unref();
    this.timers.add(timer);
  }

  private typeOf(resource: string): ResourceType | undefined {
    const [group = '', plural = ''] = resource.split('/');
    return this.core.registry.anyVersion(group, plural);
  }

  private reconcile(resource: string, namespace: string, name: string): void {
    const rt = this.typeOf(resource);
    const live = rt ? this.core.get(rt, namespace, name) : undefined;
    const fn = STATUS[resource];
    if (!rt || !live || !fn) return;
    const previous = isObj(live.status) ? live.status : {};
    const failing =
      metaOf(live).annotations !== undefined &&
      (metaOf(live).annotations as Obj)[FAIL_ROLLOUT_ANNOTATION] === 'true';
    const status =
      resource === '/persistentvolumeclaims' && this.waitsForConsumer(live)
        ? { phase: 'Pending' }
        : fn(live, failing, previous);
    if (sameSubstance(status, previous)) return;
    this.core.persist(rt, live, { ...live, status }, { dryRun: false });
  }

  /**
   * A claim of a StorageClass with `volumeBindingMode: WaitForFirstConsumer` stays Pending until a
   * pod that uses it is scheduled; the sandbox schedules no pods, so it stays Pending.
   */
  private waitsForConsumer(claim: Obj): boolean {
    const spec = isObj(claim.spec) ? claim.spec : {};
    const className = str(spec.storageClassName);
    const classes = this.core.registry.anyVersion('storage.k8s.io', 'storageclasses');
    if (!className || !classes) return false;
    return this.core.get(classes, '', className)?.volumeBindingMode === 'WaitForFirstConsumer';
  }

  private finalizeNamespace(name: string): void {
    for (const [rt, object] of [...this.core.allObjects()]) {
      if (rt.namespaced && metaOf(object).namespace === name)
        removeOrMark(this.core, rt, object, { propagation: 'Background', dryRun: false });
    }
    const remaining = [...this.core.allObjects()].some(
      ([rt, o]) => rt.namespaced && metaOf(o).namespace === name,
    );
    if (remaining) {
      // Objects held by finalizers keep the namespace terminating; look again later.
      this.later(`ns/${name}`, () => this.finalizeNamespace(name));
      return;
    }
    this.core.store.remove('/namespaces', '', name);
  }
}
