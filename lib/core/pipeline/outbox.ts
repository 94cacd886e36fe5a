import type { AuditDraft, AuditRecord, AuditStore } from '../audit';
import type { PipelineState } from './ports';

type Log = (message: string, attributes: Record<string, unknown>) => void;

function firstLine(err: unknown): string {
  return (err instanceof Error ? `${err.name}: ${err.message}` : String(err)).split('\n')[0]!;
}

/**
 * Appends a draft; when the append fails, keeps it in the state table for the app's next job, so a
 * change made to the cluster is never left unrecorded (#14). Returns the record, or undefined when
 * kept. Throws only when neither write succeeds; the log then carries what the record would have said.
 */
export async function appendOrKeep(
  audit: AuditStore,
  state: Pick<PipelineState, 'keep'>,
  cluster: string,
  draft: AuditDraft,
  log: Log,
): Promise<AuditRecord | undefined> {
  try {
    return await audit.append(cluster, draft);
  } catch (appendError: unknown) {
    const summary = {
      cluster,
      app: draft.app,
      commit: draft.commit,
      outcome: draft.outcome,
      counts: draft.counts,
      error: firstLine(appendError),
    };
    try {
      await state.keep(cluster, draft);
    } catch (keepError: unknown) {
      log('audit record lost: neither appended nor kept', { ...summary, keepError: firstLine(keepError) });
      throw appendError;
    }
    log('audit record not appended: kept in the state table for the next job of the app', summary);
    return undefined;
  }
}

/**
 * Appends the drafts kept for an app, oldest first, and releases each once appended: run before the
 * app's next job, so its records stay in order. A failure stops here and throws (the job is retried).
 */
export async function appendKept(
  audit: AuditStore,
  state: Pick<PipelineState, 'kept' | 'release'>,
  cluster: string,
  app: string,
  log: Log,
): Promise<number> {
  const kept = await state.kept(cluster, app);
  for (const { key, draft } of kept) {
    // A release that failed after the append leaves the draft kept: it is in the trail already.
    const record = (await alreadyAppended(audit, cluster, draft)) ?? (await audit.append(cluster, draft));
    await state.release(cluster, app, key);
    log('kept audit record appended', {
      cluster,
      app,
      commit: draft.commit,
      auditSeq: record.seq,
      keptAt: key,
    });
  }
  return kept.length;
}

/**
 * Appends an app's kept drafts that are not in the trail yet, without releasing them: for the orphan
 * report of an app removed from plumbline.yaml, which has no next job to append them (#14). Left
 * kept, they are found appended should the app come back.
 */
export async function appendKeptOfOrphan(
  audit: AuditStore,
  state: Pick<PipelineState, 'kept'>,
  cluster: string,
  app: string,
): Promise<number[]> {
  const seqs: number[] = [];
  for (const { draft } of await state.kept(cluster, app)) {
    if (await alreadyAppended(audit, cluster, draft)) continue;
    seqs.push((await audit.append(cluster, draft)).seq);
  }
  return seqs;
}

/** The record of a kept draft that an earlier job appended: same app, commit, delivery, time and outcome. */
async function alreadyAppended(
  audit: AuditStore,
  cluster: string,
  draft: AuditDraft,
): Promise<AuditRecord | undefined> {
  if (draft.commit === undefined) return undefined;
  const records = await audit.query({ cluster, commit: draft.commit, since: draft.ts, limit: 100 });
  return records.find(
    (r) =>
      r.app === draft.app &&
      r.deliveryId === draft.deliveryId &&
      r.ts === draft.ts &&
      r.outcome === draft.outcome,
  );
}
