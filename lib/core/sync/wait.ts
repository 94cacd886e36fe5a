import { assessHealth } from '../health';
import type { KubeObject } from '../manifests';
import { subjectOf } from '../manifests';
import type { DesiredObject } from './desired';
import { type ListTarget, LiveState } from './live';
import type { ClusterPort } from './ports';

export interface Unhealthy {
  readonly subject: string;
  readonly status: string;
  readonly message: string;
}

export interface WaitOptions {
  readonly cluster: ClusterPort;
  readonly app: string;
  readonly targets: readonly ListTarget[];
  readonly timeoutMs: number;
  readonly pollMs: number;
  /** When set, the first wait between reads, doubled each time up to pollMs (waits between waves). */
  readonly firstPollMs?: number;
  readonly concurrency: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
}

/**
 * Polls with one list per (kind, namespace) until every object is healthy or the timeout
 * passes; returns what is still not healthy (empty when all are).
 */
export async function waitHealthy(
  options: WaitOptions,
  objects: readonly DesiredObject[],
): Promise<Unhealthy[]> {
  const deadline = options.now() + options.timeoutMs;
  const classes = new Map<string, Promise<boolean>>();
  for (let attempt = 0; ; attempt++) {
    const live = await LiveState.read(options.cluster, options.targets, options.app, options.concurrency);
    const unhealthy: Unhealthy[] = [];
    for (const d of objects) {
      const object = live.get(d.id);
      if (!object) {
        unhealthy.push({ subject: subjectOf(d.id), status: 'Missing', message: 'not found in the cluster' });
        continue;
      }
      const health = assessHealth(object);
      if (health.status === 'Progressing' && (await waitsForConsumer(options.cluster, object, classes)))
        continue;
      if (health.status !== 'Healthy')
        unhealthy.push({ subject: subjectOf(d.id), status: health.status, message: health.message });
    }
    // A Degraded object will not heal by waiting, but it may: a rollout can recover. Wait it out.
    if (unhealthy.length === 0 || options.now() >= deadline) return unhealthy;
    const poll =
      options.firstPollMs === undefined
        ? options.pollMs
        : Math.min(options.pollMs, options.firstPollMs * 2 ** attempt);
    await options.sleep(Math.min(poll, Math.max(0, deadline - options.now())));
  }
}

/**
 * A claim that is Pending because its StorageClass binds on first use (`WaitForFirstConsumer`, the
 * EBS CSI default) and no pod has been scheduled with it yet: healthy, since waiting will not bind
 * it (its consumer may scale from zero, be a CronJob, or live in another app). One read per class.
 */
async function waitsForConsumer(
  cluster: ClusterPort,
  object: KubeObject,
  classes: Map<string, Promise<boolean>>,
): Promise<boolean> {
  if (object.kind !== 'PersistentVolumeClaim' || object.apiVersion !== 'v1') return false;
  if ((object.status as { phase?: unknown } | undefined)?.phase !== 'Pending') return false;
  if (object.metadata.annotations?.['volume.kubernetes.io/selected-node'] !== undefined) return false;
  const className = (object.spec as { storageClassName?: unknown } | undefined)?.storageClassName;
  if (typeof className !== 'string' || className === '') return false;
  let binding = classes.get(className);
  if (!binding) {
    binding = (async () => {
      const resource = await cluster.resourceFor('storage.k8s.io', 'StorageClass');
      const storageClass = resource ? await cluster.get(resource, '', className) : undefined;
      return storageClass?.volumeBindingMode === 'WaitForFirstConsumer';
    })();
    classes.set(className, binding);
  }
  return binding;
}
