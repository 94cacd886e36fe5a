/**
 * The phases of a sync, planned without I/O (Argo CD's order: phase, wave, kind, name): PreSync hooks,
 * then the app's objects with the Sync hooks of their wave, then PostSync hooks, and SyncFail hooks
 * when the sync fails. Skipped manifests are neither applied nor tracked.
 */

import { formatId, idOf, type KubeObject } from '../manifests/object';
import { type DeletePolicy, type HookPhase, roleOf } from './hooks';
import { kindRank, syncWave, type Wave } from './order';

export interface PlannedHook<T> {
  readonly item: T;
  readonly phase: HookPhase;
  readonly wave: number;
  readonly deletePolicies: readonly DeletePolicy[];
}

/** The hooks of one phase and wave: run together, after every lower wave of the phase succeeded. */
export interface HookWave<T> {
  readonly wave: number;
  readonly hooks: readonly PlannedHook<T>[];
}

export interface PhasePlan<T> {
  /** The app's own objects: applied in the Sync phase, inventoried, checked for drift. */
  readonly objects: T[];
  readonly hooks: Readonly<Record<HookPhase, HookWave<T>[]>>;
  readonly skipped: { readonly item: T; readonly reason: string }[];
}

/** Code-unit order, the same on every machine and locale. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Splits what an app renders into its objects, its hooks by phase and wave, and what is skipped.
 * Waves and delete policies are validated here, so bad annotations are refused before any request.
 */
export function planPhases<T>(items: readonly T[], objectOf: (item: T) => KubeObject): PhasePlan<T> {
  const objects: T[] = [];
  const skipped: { item: T; reason: string }[] = [];
  const byPhase = new Map<HookPhase, { hook: PlannedHook<T>; rank: number; id: string }[]>();
  for (const item of items) {
    const object = objectOf(item);
    const role = roleOf(object);
    const wave = syncWave(object);
    if (role.role === 'object') objects.push(item);
    else if (role.role === 'skip') skipped.push({ item, reason: role.reason });
    else {
      const id = idOf(object);
      const key = { rank: kindRank(id.group, id.kind), id: formatId(id) };
      for (const phase of role.phases) {
        const list = byPhase.get(phase) ?? [];
        list.push({ hook: { item, phase, wave, deletePolicies: role.deletePolicies }, ...key });
        byPhase.set(phase, list);
      }
    }
  }
  const wavesOf = (phase: HookPhase): HookWave<T>[] => {
    const list = [...(byPhase.get(phase) ?? [])].sort(
      (a, b) => a.hook.wave - b.hook.wave || a.rank - b.rank || compareText(a.id, b.id),
    );
    const waves: { wave: number; hooks: PlannedHook<T>[] }[] = [];
    for (const { hook } of list) {
      const last = waves[waves.length - 1];
      if (last && last.wave === hook.wave) last.hooks.push(hook);
      else waves.push({ wave: hook.wave, hooks: [hook] });
    }
    return waves;
  };
  const hooks: Record<HookPhase, HookWave<T>[]> = {
    PreSync: wavesOf('PreSync'),
    Sync: wavesOf('Sync'),
    PostSync: wavesOf('PostSync'),
    SyncFail: wavesOf('SyncFail'),
  };
  return { objects, hooks, skipped };
}

/** Whether the plan has any hook to run in a phase. */
export function hasHooks<T>(plan: PhasePlan<T>, phase: HookPhase): boolean {
  return plan.hooks[phase].length > 0;
}

/** One step of the Sync phase, run in order; a failed step ends the phase. */
export type SyncStep<H> =
  /** Apply these objects in parallel (one kind rank of one wave). */
  | { readonly step: 'apply'; readonly wave: number; readonly objects: readonly KubeObject[] }
  /** Run the Sync hooks of a wave, after its objects are applied. */
  | { readonly step: 'hooks'; readonly wave: number; readonly hooks: HookWave<H> }
  /** Wait until the objects of a wave are healthy: a later wave follows (Argo CD waits too). */
  | { readonly step: 'wait'; readonly wave: number; readonly objects: readonly KubeObject[] };

/**
 * The Sync phase as steps: for each wave, lowest first, its objects by kind rank, then its Sync
 * hooks, then (when a later wave follows) a wait for its objects' health. One wave needs no wait,
 * so an app without waves syncs exactly as it did before hooks existed.
 */
export function syncSteps<H>(waves: readonly Wave[], syncHooks: readonly HookWave<H>[]): SyncStep<H>[] {
  const numbers = [...new Set([...waves.map((w) => w.wave), ...syncHooks.map((w) => w.wave)])].sort(
    (a, b) => a - b,
  );
  const steps: SyncStep<H>[] = [];
  for (const [i, wave] of numbers.entries()) {
    const batches = waves.find((w) => w.wave === wave)?.batches ?? [];
    for (const objects of batches) steps.push({ step: 'apply', wave, objects });
    const hooks = syncHooks.find((w) => w.wave === wave);
    if (hooks) steps.push({ step: 'hooks', wave, hooks });
    const objects = batches.flat();
    if (i < numbers.length - 1 && objects.length > 0) steps.push({ step: 'wait', wave, objects });
  }
  return steps;
}
