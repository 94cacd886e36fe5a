import { formatId } from '../manifests/object';
import type { Redactor } from '../redact';
import type { SyncResult } from '../sync/engine';
import type { AuditChange, AuditDraft, AuditOutcome, AuditTrigger, AuditWho } from './record';

export interface SyncAuditContext {
  readonly trigger: AuditTrigger;
  readonly who?: AuditWho;
  readonly repo?: string;
  /** Defaults to the result's revision. */
  readonly commit?: string;
  readonly deliveryId?: string;
  /** Defaults to now. */
  readonly ts?: string;
  /** contentHash() of each desired object, by formatId (see contentHashes()). */
  readonly contentHashes?: ReadonlyMap<string, string>;
  /** Applied once more to reasons and the error: whatever the sync saw, no secret leaves in clear. */
  readonly redactor?: Redactor;
  /** A failure that ended the sync before or outside the change set. */
  readonly error?: string;
}

export function outcomeOf(result: SyncResult, error?: string): AuditOutcome {
  if (error !== undefined || result.counts.failed > 0) return 'failed';
  if (result.unhealthy.length > 0) return 'progressing';
  return result.ok ? 'succeeded' : 'failed';
}

/** The audit draft of a sync: one entry per change, object ids and content hashes, never content. */
export function draftFromSync(result: SyncResult, context: SyncAuditContext): AuditDraft {
  const redact = (text: string): string => (context.redactor ? context.redactor.redact(text) : text);
  const changes = result.changes.map((c): AuditChange => {
    const id = formatId(c.id);
    const hash = c.action === 'deleted' ? undefined : context.contentHashes?.get(id);
    return {
      id,
      action: c.action,
      ...(c.reason !== undefined ? { reason: redact(c.reason) } : {}),
      ...(hash !== undefined ? { contentHash: hash } : {}),
      ...(c.hook !== undefined ? { hook: c.hook } : {}),
    };
  });
  const commit = context.commit ?? result.revision;
  return {
    app: result.app,
    ...(context.repo !== undefined ? { repo: context.repo } : {}),
    ...(commit !== undefined ? { commit } : {}),
    trigger: context.trigger,
    ...(context.deliveryId !== undefined ? { deliveryId: context.deliveryId } : {}),
    outcome: outcomeOf(result, context.error),
    who: context.who ?? {},
    ts: context.ts ?? new Date().toISOString(),
    durationMs: result.durationMs,
    ...(context.error !== undefined ? { error: redact(context.error) } : {}),
    changes,
    counts: result.counts,
  };
}
