export { canonicalJson } from './canonical';
export {
  type ChainBreak,
  type ChainBreakReason,
  type ChainResult,
  ChainVerifier,
  verifyChain,
} from './chain';
export {
  type ChainHeadSource,
  type Checkpoint,
  type CheckpointOutcome,
  type CheckpointRef,
  type CheckpointRun,
  type CheckpointStore,
  checkpointClusters,
  checkpointHead,
  checkpointName,
  parseCheckpoint,
  parseCheckpointName,
} from './checkpoint';
export { type ContentHashKey, contentHash, contentHashes } from './content-hash';
export {
  AuditCheckpointError,
  AuditContentionError,
  AuditKeyError,
  AuditRecordError,
  CanonicalJsonError,
} from './errors';
export {
  type AuditMac,
  type CheckpointBody,
  checkpointMacMessage,
  HmacAuditMac,
  recordMacMessage,
} from './mac';
export type { AuditQuery, AuditStore, ScanOptions } from './port';
export {
  AUDIT_FAILURES,
  AUDIT_OUTCOMES,
  AUDIT_TRIGGERS,
  type AuditChange,
  type AuditDraft,
  type AuditFailure,
  type AuditOutcome,
  type AuditRecord,
  type AuditTrigger,
  type AuditWho,
  type ChainHead,
  GENESIS_HASH,
  MAX_ERROR_LENGTH,
  MAX_REASON_LENGTH,
  normalizeDraft,
  recordHash,
  sealRecord,
  type UnsealedRecord,
  validateCluster,
} from './record';
export { draftFromSync, outcomeOf, type SyncAuditContext } from './sync-draft';
export { truncateChanges } from './truncate';
export { type TrailInput, type TrailResult, verifyTrail } from './verify-trail';
