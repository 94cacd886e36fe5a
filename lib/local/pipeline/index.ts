export { deliverPush, runScenario, type ScenarioStep } from './scenario';
export {
  LOCAL_CLUSTER,
  LOCAL_POLICY,
  type LocalInfo,
  type LocalOptions,
  type LocalSession,
  type SyncLine,
  startLocal,
  writeLocalInfo,
} from './session';
