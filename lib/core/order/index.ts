export { InvalidHookError, InvalidSyncWaveError } from './errors';
export { type DeletePolicy, HOOK_PHASES, type HookPhase, type Role, roleOf } from './hooks';
export {
  applyBatches,
  applyWaves,
  deleteOrder,
  effectiveWaves,
  kindRank,
  syncWave,
  type Wave,
} from './order';
export {
  type HookWave,
  hasHooks,
  type PhasePlan,
  type PlannedHook,
  planPhases,
  type SyncStep,
  syncSteps,
} from './phases';
