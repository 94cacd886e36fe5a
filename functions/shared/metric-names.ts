/** Shared by the handlers (Powertools Metrics) and infra (dashboard, alarms): change both together. */
export const METRICS_NAMESPACE = 'Plumbline';
export const SERVICE_NAME = 'plumbline';
export const METRIC = {
  syncSucceeded: 'SyncSucceeded',
  syncFailed: 'SyncFailed',
  syncDuration: 'SyncDuration',
  driftDetected: 'DriftDetected',
  messagesEnqueued: 'MessagesEnqueued',
} as const;
