import type { AuditDraft } from '../audit';
import type { CommitState, SyncJob } from './ports';

/** Commit statuses carry at most 140 characters (GitHub's limit). */
export const MAX_STATUS_DESCRIPTION = 140;

/**
 * The commit status of a finished job: success when synced or no drift was found, failure when it
 * failed or drifted, pending while applied objects are not yet healthy (the next scheduled check
 * settles it, #7). A stale or refused commit fails: it was not deployed.
 */
export function commitStatusOf(job: SyncJob, draft: AuditDraft): { state: CommitState; description: string } {
  const where = `${job.app} on ${job.cluster}`;
  const c = draft.counts;
  switch (draft.outcome) {
    case 'succeeded':
      return c.created + c.configured + c.deleted === 0
        ? { state: 'success', description: `${where}: in sync` }
        : {
            state: 'success',
            description: `${where}: synced (${c.created} created, ${c.configured} configured, ${c.deleted} deleted)`,
          };
    case 'drift':
      return { state: 'failure', description: `${where}: drift in ${draft.changes.length} object(s)` };
    case 'progressing':
      return { state: 'pending', description: `${where}: applied, waiting for health` };
    // Not deployed, on purpose: the cluster runs a newer commit (only forward).
    case 'stale':
      return { state: 'failure', description: `${where}: skipped, stale: the cluster runs a newer commit` };
    case 'refused':
      return { state: 'failure', description: `${where}: refused: ${draft.error ?? 'see the audit record'}` };
    default:
      return { state: 'failure', description: `${where}: failed: ${draft.error ?? 'see the audit record'}` };
  }
}
