import type { ObjectId } from '../manifests';
import type { HookPhase } from '../order';

export type ChangeAction = 'created' | 'configured' | 'unchanged' | 'deleted' | 'skipped' | 'failed';

export interface Change {
  readonly id: ObjectId;
  /** `Deployment/shop/web` */
  readonly subject: string;
  readonly action: ChangeAction;
  readonly reason?: string;
  /** Fields another manager owned that Plumbline took over (force), or that would conflict. */
  readonly conflicts?: readonly string[];
  /** What the API server warned of when it applied the object (deprecated APIs, admission notes). */
  readonly warnings?: readonly string[];
  /** The app that owns the object live, when the change is `failed` because of it (ownership). */
  readonly owner?: string;
  /**
   * Set for a hook run (or a hook a dry run or a failed sync did not run): its phase and how long it
   * took. A run is `created` when it succeeded, `failed` when it failed, `skipped` when not run.
   */
  readonly hook?: { readonly phase: HookPhase; readonly durationMs: number };
}

export type ChangeCounts = Record<ChangeAction, number>;

export function countChanges(changes: readonly Change[]): ChangeCounts {
  const counts: ChangeCounts = { created: 0, configured: 0, unchanged: 0, deleted: 0, skipped: 0, failed: 0 };
  for (const change of changes) counts[change.action] += 1;
  return counts;
}
