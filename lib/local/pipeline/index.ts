export { githubPushPayload } from './push-payload';
export {
  githubSignature,
  type PushDelivery,
  PushWebhooks,
  postGithubWebhook,
  type WebhookDelivery,
} from './push-webhooks';
export { runScenario, type ScenarioStep } from './scenario';
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
