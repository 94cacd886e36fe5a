/** Shared by the handlers (Powertools Metrics) and infra (dashboard, alarms): change both together. */
export const METRICS_NAMESPACE = 'Plumbline';
export const SERVICE_NAME = 'plumbline';
export const METRIC = {
  syncSucceeded: 'SyncSucceeded',
  syncFailed: 'SyncFailed',
  /** A sync that failed transiently and is delivered again after a backoff. */
  syncRetried: 'SyncRetried',
  syncDuration: 'SyncDuration',
  driftDetected: 'DriftDetected',
  messagesEnqueued: 'MessagesEnqueued',
  // From log metric filters on the reconcile function's log group, not Powertools.
  checkpointFailed: 'AuditCheckpointFailed',
  reconcileRepositoryFailed: 'ReconcileRepositoryFailed',
} as const;

/** What the reconcile function logs (at error) when it could not write a cluster's audit checkpoint. */
export const CHECKPOINT_FAILED_MESSAGE = 'audit checkpoint not written';

/** What the reconcile function logs (at error) when it could not read a repository and skipped it. */
export const REPOSITORY_SKIPPED_MESSAGE = 'repository skipped';
