import { assessHealth } from '../health';
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
  for (;;) {
    const live = await LiveState.read(options.cluster, options.targets, options.app, options.concurrency);
    const unhealthy: Unhealthy[] = [];
    for (const d of objects) {
      const object = live.get(d.id);
      if (!object) {
        unhealthy.push({ subject: subjectOf(d.id), status: 'Missing', message: 'not found in the cluster' });
        continue;
      }
      const health = assessHealth(object);
      if (health.status !== 'Healthy')
        unhealthy.push({ subject: subjectOf(d.id), status: health.status, message: health.message });
    }
    // A Degraded object will not heal by waiting, but it may: a rollout can recover. Wait it out.
    if (unhealthy.length === 0 || options.now() >= deadline) return unhealthy;
    await options.sleep(Math.min(options.pollMs, Math.max(0, deadline - options.now())));
  }
}
