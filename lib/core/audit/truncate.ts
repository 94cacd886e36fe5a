import type { ChangeAction } from '../sync/changeset';
import type { AuditChange, AuditDraft } from './record';

/** What an auditor needs most comes first when a change set must be cut. */
const PRIORITY: Record<ChangeAction, number> = {
  failed: 0,
  created: 1,
  configured: 2,
  deleted: 3,
  skipped: 4,
  unchanged: 5,
};

/** The change set ordered for truncation: failures and changes before skipped and unchanged entries. */
export function byPriority(changes: readonly AuditChange[]): AuditChange[] {
  // Array.prototype.sort is stable: within one action the sync's order stays.
  return [...changes].sort((a, b) => PRIORITY[a.action] - PRIORITY[b.action]);
}

/**
 * The draft with only the first `keep` entries of its change set in priority order, marked
 * `truncated` with the full count; counts still describe the whole change set.
 */
export function truncateChanges(draft: AuditDraft, keep: number): AuditDraft {
  const all = draft.truncated ? (draft.changeCount ?? draft.changes.length) : draft.changes.length;
  return {
    ...draft,
    changes: byPriority(draft.changes).slice(0, Math.max(0, keep)),
    truncated: true,
    changeCount: all,
  };
}
