import type { AuditChange, AuditDraft, AuditWho } from '../audit';
import { draftFromSync } from '../audit';
import { isPermanent } from '../errors';
import { inputsOf } from '../fanout';
import type { Redactor } from '../redact';
import type { RenderResult } from '../render';
import { findApp, loadRepoConfig, type RepoApp, renderLimitsOf } from '../repo-config';
import { commitAuthor, enforceSignaturePolicy, SignatureError } from '../signatures';
import { countChanges, detectDrift, inspectApp, PolicyError, syncApp } from '../sync';
import { commitStatusOf, MAX_STATUS_DESCRIPTION } from './commit-status';
import { JobBusyError, JobConfigError } from './errors';
import { checkForward } from './forward';
import { appendKept, appendOrKeep } from './outbox';
import type {
  ClusterConnection,
  ClusterPolicy,
  CommitState,
  SyncJob,
  SyncJobPorts,
  SyncJobResult,
} from './ports';

/** Left for the audit record and the event after the sync (of the invocation's time). */
const RESERVE_MS = 30_000;
/**
 * A claim outlives the invocation that holds it by this much. The lease must end before SQS
 * redelivers the message after a crash or timeout (visibility: the function's timeout plus 30 s,
 * see infra/constructs/sync-queue.ts): a lease as long as the visibility made that redelivery find
 * the job still "running" and spend a receive on JobBusyError.
 */
const LEASE_MARGIN_MS = 20_000;

function oneLine(err: unknown): string {
  return (err instanceof Error ? `${err.name}: ${err.message}` : String(err)).split('\n')[0]!;
}

function driftChanges(report: ReturnType<typeof detectDrift>): AuditChange[] {
  return [
    ...report.drifted.map((d) => ({
      id: d.id,
      action: 'skipped' as const,
      reason: d.reason === 'missing' ? 'drift: missing' : `drift: ${d.fields.map((f) => f.path).join(', ')}`,
    })),
    ...report.orphans.map((o) => ({
      id: o.id,
      action: 'skipped' as const,
      reason: 'orphan: labelled for the app, not in its inventory',
    })),
  ];
}

/**
 * One sync-queue message, end to end: claim it (a redelivery runs once), append records kept from
 * the app's earlier jobs, skip a commit behind the cluster's (only forward), fetch the commit, verify
 * its signature when the repository requires one, read plumbline.yaml and the app's inputs, render,
 * then sync — or, for a scheduled check of a detect-only app, look for drift — write the audit
 * record, publish the outcome, complete the claim and report the commit status. Every attempt ends
 * in a record: a permanent failure (PlumblineError, not retryable) ends the job; any other is
 * recorded as transient, then thrown so that SQS delivers the message again.
 */
export async function runSyncJob(
  job: SyncJob,
  ports: SyncJobPorts,
  policy: ClusterPolicy,
  redactor: Redactor,
): Promise<SyncJobResult> {
  const leaseSeconds = Math.ceil((ports.remainingMs() + LEASE_MARGIN_MS) / 1000);
  const claim = await ports.claims.claim(job.cluster, job.app, job.commit, job.triggerId, leaseSeconds);
  if (claim === 'done') return { status: 'duplicate' };
  if (claim === 'running')
    throw new JobBusyError(
      `${job.cluster}/${job.app}@${job.commit.slice(0, 12)} is being synced by another invocation`,
    );
  const report = async (state: CommitState, description: string): Promise<void> => {
    if (!ports.reportStatus) return;
    try {
      await ports.reportStatus(job, state, description.slice(0, MAX_STATUS_DESCRIPTION));
    } catch (err: unknown) {
      // A status is a courtesy to the git host: the sync and its record stand without it.
      ports.warn?.('commit status not reported', { state, error: oneLine(err) });
    }
  };
  // A scheduled check says nothing until it has a result: the commit keeps showing the last one.
  if (job.trigger !== 'schedule') await report('pending', `${job.app} on ${job.cluster}: syncing`);
  try {
    return await runClaimed(job, ports, policy, redactor, report);
  } catch (err: unknown) {
    // The retry comes within seconds to minutes (lib/core/pipeline/redelivery.ts), long before the
    // lease would end: released, so that it is not refused as busy.
    await ports.claims.release(job.cluster, job.app, job.commit, job.triggerId).catch(() => undefined);
    // SQS delivers the message again; until then the commit shows why it is not done.
    await report('error', `${job.app} on ${job.cluster}: ${redactor.redact(oneLine(err))}; will retry`);
    throw err;
  }
}

type Who = { -readonly [K in keyof AuditWho]: AuditWho[K] };
/** What an attempt ends with, when it does not throw. */
type Ended = { readonly draft: AuditDraft; readonly status: SyncJobResult['status'] };

async function runClaimed(
  job: SyncJob,
  ports: SyncJobPorts,
  policy: ClusterPolicy,
  redactor: Redactor,
  report: (state: CommitState, description: string) => Promise<void>,
): Promise<SyncJobResult> {
  const started = Date.now();
  const log = (message: string, attributes: Record<string, unknown>) => ports.warn?.(message, attributes);
  // Filled in as they become known: the author once the commit is read, the signer once verified,
  // the principal once connected (a record of a job that never reached the cluster has none).
  const who: Who = {};
  const base = () => ({
    app: job.app,
    repo: job.repo,
    commit: job.commit,
    trigger: job.trigger,
    deliveryId: job.triggerId,
    who: { ...who },
    ts: new Date().toISOString(),
    durationMs: Date.now() - started,
  });
  const finish = async ({ draft, status }: Ended): Promise<SyncJobResult> => {
    const record = await appendOrKeep(ports.audit, ports.state, job.cluster, draft, log);
    await ports.publish({
      cluster: job.cluster,
      app: job.app,
      commit: job.commit,
      trigger: job.trigger,
      outcome: draft.outcome,
      counts: draft.counts,
      auditSeq: record?.seq,
    });
    await ports.claims.complete(job.cluster, job.app, job.commit, job.triggerId, record?.seq);
    const { state, description } = commitStatusOf(job, draft);
    await report(state, description);
    return { status, outcome: draft.outcome, ...(record ? { auditSeq: record.seq } : {}) };
  };
  let ended: Ended;
  try {
    // Records kept when an append failed go first: the app's trail stays in order (#14).
    await appendKept(ports.audit, ports.state, job.cluster, job.app, log);
    ended = await attempt(job, ports, policy, redactor, who, base);
  } catch (err: unknown) {
    // Every attempt ends in a record: a permanent failure ends the job; a transient one is recorded,
    // then thrown so that SQS delivers the message again.
    const permanent = isPermanent(err);
    const refused = err instanceof PolicyError || err instanceof SignatureError;
    const message =
      err instanceof SignatureError
        ? `signature refused (${err.reason}): ${err.message}`
        : permanent
          ? err.message
          : oneLine(err);
    const draft: AuditDraft = {
      ...base(),
      outcome: refused ? 'refused' : 'failed',
      ...(refused ? {} : { failure: permanent ? ('permanent' as const) : ('transient' as const) }),
      error: redactor.redact(message),
      changes: [],
      counts: countChanges([]),
    };
    if (permanent) return finish({ draft, status: 'failed' });
    await appendOrKeep(ports.audit, ports.state, job.cluster, draft, log).catch(() => undefined);
    throw err;
  }
  return finish(ended);
}

/** The job from its commit to a draft: stale, drift-checked or synced; a failure throws. */
async function attempt(
  job: SyncJob,
  ports: SyncJobPorts,
  policy: ClusterPolicy,
  redactor: Redactor,
  who: Who,
  base: () => Omit<AuditDraft, 'outcome' | 'changes' | 'counts'>,
): Promise<Ended> {
  // One app name per cluster: two repositories declaring it would share its inventory and labels,
  // and each one's prune would delete the other's objects.
  const applied = await ports.state.lastApplied(job.cluster, job.app);
  const holder = applied?.repo;
  if (holder !== undefined && holder !== job.repo)
    return {
      draft: {
        ...base(),
        outcome: 'refused',
        error: `app ${job.app} on cluster ${job.cluster} is deployed from ${holder}; another repository may not deploy an app of the same name there (they would share its inventory and prune each other's objects): rename one, or remove the other's with plumbline prune-app`,
        changes: [],
        counts: countChanges([]),
      },
      status: 'failed',
    };
  const forward = await checkForward(job, ports.repo, applied?.commit);
  if (!forward.forward) {
    // Nothing is read from the commit and nothing touches the cluster.
    return {
      draft: { ...base(), outcome: 'stale', reason: forward.reason, changes: [], counts: countChanges([]) },
      status: 'stale',
    };
  }
  let app: RepoApp;
  let rendered: RenderResult;
  let cleanup: (() => Promise<void>) | undefined;
  try {
    await ports.repo.ensureCommit(job.ref, job.commit);
    const raw = await ports.repo.readCommit(job.commit);
    who.author = commitAuthor(raw);
    if (ports.signatures) {
      // Before plumbline.yaml is read: an unverified commit decides nothing, not even which apps exist.
      const verified = await enforceSignaturePolicy('head', job.commit, raw, ports.signatures);
      who.signer = verified?.fingerprint;
    }
    app = findApp(
      await loadRepoConfig((c, path, max) => ports.repo.readFile(c, path, max), job.commit),
      job.app,
    );
    if (app.cluster !== job.cluster)
      throw new JobConfigError(`app ${app.name} targets cluster ${app.cluster}, not ${job.cluster}`);
    const limits = renderLimitsOf(app);
    const tree = await ports.repo.materialize(job.commit, inputsOf(app), limits);
    cleanup = tree.cleanup;
    rendered = await ports.render(ports.renderer(app.renderer), tree.dir, app.path, limits);
    const notes = [...(tree.notes ?? []), ...(rendered.notes ?? [])];
    if (notes.length > 0)
      ports.warn?.('the render left something out or read more', { app: app.name, notes });
  } catch (err: unknown) {
    await cleanup?.();
    throw err;
  }
  const allow = { namespaces: policy.allowedNamespaces, clusterScoped: policy.clusterScoped };
  let connection: ClusterConnection;
  try {
    connection = await ports.connect(job);
  } catch (err: unknown) {
    await cleanup?.();
    throw err;
  }
  who.principal = connection.principal;
  try {
    if (job.trigger === 'schedule' && !app.selfHeal) {
      const inspection = await inspectApp(rendered.manifests, connection.cluster, connection.inventory, {
        app: app.name,
        namespace: app.namespace,
        allow,
        concurrency: 16,
        secrets: ports.secrets,
        ignoreDifferences: app.ignoreDifferences,
      });
      const changes = driftChanges(detectDrift(app.name, inspection));
      return {
        draft: {
          ...base(),
          outcome: changes.length > 0 ? 'drift' : 'succeeded',
          changes,
          counts: { ...countChanges([]), skipped: changes.length },
        },
        status: 'drift-checked',
      };
    }
    // Before the first write: from here the cluster may hold this commit, even if the apply stops
    // part-way, and an older commit must not be applied over it (docs/adr/0017).
    await ports.state.setLastApplied(job.cluster, job.app, job.commit, job.repo);
    const result = await syncApp(
      rendered.manifests,
      { cluster: connection.cluster, inventory: connection.inventory, secrets: ports.secrets },
      {
        app: app.name,
        namespace: app.namespace,
        allow,
        revision: job.commit,
        prune: app.prune,
        // plumbline.yaml's prune safety, as `plumbline sync --repo` reads it.
        allowEmpty: app.allowEmpty,
        pruneAdopted: app.pruneAdopted,
        pruneShare: app.pruneShare / 100,
        ignoreDifferences: app.ignoreDifferences,
        dryRun: false,
        force: true,
        concurrency: 16,
        wait: app.wait,
        // Health is checked within the time the invocation has left; the next schedule finishes it (#7).
        timeoutMs: Math.max(0, Math.min(app.timeoutSeconds * 1000, ports.remainingMs() - RESERVE_MS)),
        ...(ports.contentHashKey ? { contentHashKey: ports.contentHashKey } : {}),
      },
    );
    const warned = result.changes.flatMap((c) =>
      c.warnings && c.warnings.length > 0 ? [{ object: c.subject, warnings: c.warnings }] : [],
    );
    if (warned.length > 0)
      ports.warn?.('the API server warned of applied objects', {
        cluster: job.cluster,
        app: job.app,
        commit: job.commit,
        objects: warned,
      });
    const draft = draftFromSync(result, {
      trigger: job.trigger,
      repo: job.repo,
      commit: job.commit,
      deliveryId: job.triggerId,
      who: { ...who },
      redactor,
      ...(result.contentHashes ? { contentHashes: result.contentHashes } : {}),
    });
    return {
      // A sync that ran to its end with failed objects is not retried: the next schedule tries again.
      draft: draft.outcome === 'failed' ? { ...draft, failure: 'permanent' } : draft,
      status: result.ok ? 'synced' : 'failed',
    };
  } finally {
    await connection.close();
    await cleanup?.();
  }
}
