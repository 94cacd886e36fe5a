import type { AuditChange, AuditDraft, AuditStore } from '../audit';
import { draftFromSync } from '../audit';
import { inputsOf } from '../fanout';
import type { Redactor } from '../redact';
import type { Renderer, RendererConfig, RenderResult } from '../render';
import { findApp, loadRepoConfig, type RepoApp } from '../repo-config';
import { countChanges, detectDrift, inspectApp, type SecretsConfig, type SyncResult, syncApp } from '../sync';
import type { ClusterPort, InventoryStore } from '../sync/ports';

/** One message of the sync queue: a push (webhook) or a scheduled drift check. */
export interface SyncJob {
  readonly repo: string;
  readonly cluster: string;
  readonly app: string;
  readonly commit: string;
  readonly ref: string;
  readonly trigger: 'webhook' | 'schedule';
  readonly triggerId: string;
}

/** What the deployment allows on the job's cluster (the trust boundary of DESIGN.md). */
export interface ClusterPolicy {
  readonly allowedNamespaces: readonly string[];
  readonly clusterScoped: boolean;
}

export interface SyncJobPorts {
  readonly claims: {
    claim(
      cluster: string,
      app: string,
      commit: string,
      triggerId: string,
      leaseSeconds: number,
    ): Promise<'claimed' | 'done' | 'running'>;
    complete(
      cluster: string,
      app: string,
      commit: string,
      triggerId: string,
      auditSeq: number | undefined,
    ): Promise<void>;
  };
  /** The repository at the job's commit: fetched into a cache, files read without a checkout. */
  readonly repo: {
    ensureCommit(ref: string, commit: string): Promise<void>;
    readFile(commit: string, path: string, maxBytes: number): Promise<Buffer | undefined>;
    /** Writes the files under `paths` at `commit` into a fresh directory; returns it and its cleanup. */
    materialize(
      commit: string,
      paths: readonly string[],
    ): Promise<{ readonly dir: string; cleanup(): Promise<void> }>;
  };
  readonly renderer: (config: RendererConfig) => Renderer;
  readonly render: (renderer: Renderer, repoRoot: string, appPath: string) => Promise<RenderResult>;
  /** The cluster's API and the app's inventory, for the job's commit and app (session names carry them). */
  readonly connect: (
    job: SyncJob,
  ) => Promise<{ cluster: ClusterPort; inventory: InventoryStore; close(): Promise<void> }>;
  readonly secrets: SecretsConfig;
  readonly audit: AuditStore;
  readonly publish: (detail: Record<string, unknown>) => Promise<void>;
  /** Milliseconds the invocation has left. */
  readonly remainingMs: () => number;
  readonly contentHashKey?: string;
}

export interface SyncJobResult {
  readonly status: 'synced' | 'drift-checked' | 'failed' | 'duplicate';
  readonly outcome?: AuditDraft['outcome'];
  readonly auditSeq?: number;
}

/** Another invocation holds the job: SQS should deliver it again later. */
export class JobBusyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JobBusyError';
  }
}

/** Left for the audit record and the event after the sync (of the invocation's time). */
const RESERVE_MS = 30_000;
const LEASE_SECONDS = 15 * 60;

/** Errors that come from the repository's content: retrying cannot help, so they are recorded and the job ends. */
const DETERMINISTIC = new Set([
  'RepoConfigError',
  'UnknownAppError',
  'RenderError',
  'ManifestError',
  'PolicyError',
  'DesiredStateError',
  'InvalidSyncWaveError',
  'SecretResolutionError',
  'GitTreeError',
  'JobConfigError',
]);

class JobConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JobConfigError';
  }
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
 * One sync-queue message, end to end: claim it (a redelivery runs once), fetch the commit, read
 * plumbline.yaml and the app's inputs, render, then sync — or, for a scheduled check of a
 * detect-only app, look for drift — write the audit record, publish the outcome, and complete the
 * claim. Failures caused by the repository's content are recorded and end the job; others throw
 * so that SQS delivers the message again.
 */
export async function runSyncJob(
  job: SyncJob,
  ports: SyncJobPorts,
  policy: ClusterPolicy,
  redactor: Redactor,
): Promise<SyncJobResult> {
  const claim = await ports.claims.claim(job.cluster, job.app, job.commit, job.triggerId, LEASE_SECONDS);
  if (claim === 'done') return { status: 'duplicate' };
  if (claim === 'running')
    throw new JobBusyError(
      `${job.cluster}/${job.app}@${job.commit.slice(0, 12)} is being synced by another invocation`,
    );
  const started = Date.now();
  const base = {
    app: job.app,
    repo: job.repo,
    commit: job.commit,
    trigger: job.trigger,
    deliveryId: job.triggerId,
    who: {},
  } as const;
  const finish = async (draft: AuditDraft, status: SyncJobResult['status']): Promise<SyncJobResult> => {
    const record = await ports.audit.append(job.cluster, draft);
    await ports.publish({
      cluster: job.cluster,
      app: job.app,
      commit: job.commit,
      trigger: job.trigger,
      outcome: draft.outcome,
      counts: draft.counts,
      auditSeq: record.seq,
    });
    await ports.claims.complete(job.cluster, job.app, job.commit, job.triggerId, record.seq);
    return { status, outcome: draft.outcome, auditSeq: record.seq };
  };
  let app: RepoApp;
  let rendered: RenderResult;
  let cleanup: (() => Promise<void>) | undefined;
  try {
    await ports.repo.ensureCommit(job.ref, job.commit);
    app = findApp(
      await loadRepoConfig((c, path, max) => ports.repo.readFile(c, path, max), job.commit),
      job.app,
    );
    if (app.cluster !== job.cluster)
      throw new JobConfigError(`app ${app.name} targets cluster ${app.cluster}, not ${job.cluster}`);
    const tree = await ports.repo.materialize(job.commit, inputsOf(app));
    cleanup = tree.cleanup;
    rendered = await ports.render(ports.renderer(app.renderer), tree.dir, app.path);
  } catch (err: unknown) {
    await cleanup?.();
    if (!(err instanceof Error) || !DETERMINISTIC.has(err.name)) throw err;
    const counts = countChanges([]);
    return finish(
      {
        ...base,
        outcome: 'failed',
        ts: new Date().toISOString(),
        durationMs: Date.now() - started,
        error: redactor.redact(err.message),
        changes: [],
        counts,
      },
      'failed',
    );
  }
  const allow = { namespaces: policy.allowedNamespaces, clusterScoped: policy.clusterScoped };
  const connection = await ports.connect(job);
  try {
    if (job.trigger === 'schedule' && !app.selfHeal) {
      const inspection = await inspectApp(rendered.manifests, connection.cluster, connection.inventory, {
        app: app.name,
        namespace: app.namespace,
        allow,
        concurrency: 16,
        secrets: ports.secrets,
      });
      const report = detectDrift(app.name, inspection);
      const changes = driftChanges(report);
      const drifted = changes.length > 0;
      const counts = { ...countChanges([]), skipped: changes.length };
      return await finish(
        {
          ...base,
          outcome: drifted ? 'drift' : 'succeeded',
          ts: new Date().toISOString(),
          durationMs: Date.now() - started,
          changes,
          counts,
        },
        'drift-checked',
      );
    }
    let result: SyncResult;
    try {
      result = await syncApp(
        rendered.manifests,
        { cluster: connection.cluster, inventory: connection.inventory, secrets: ports.secrets },
        {
          app: app.name,
          namespace: app.namespace,
          allow,
          revision: job.commit,
          prune: app.prune,
          dryRun: false,
          force: true,
          concurrency: 16,
          wait: app.wait,
          // Health is checked within the time the invocation has left; the next schedule finishes it (#7).
          timeoutMs: Math.max(0, Math.min(app.timeoutSeconds * 1000, ports.remainingMs() - RESERVE_MS)),
          ...(ports.contentHashKey ? { contentHashKey: ports.contentHashKey } : {}),
        },
      );
    } catch (err: unknown) {
      if (!(err instanceof Error) || !DETERMINISTIC.has(err.name)) throw err;
      return await finish(
        {
          ...base,
          outcome: 'failed',
          ts: new Date().toISOString(),
          durationMs: Date.now() - started,
          error: redactor.redact(err.message),
          changes: [],
          counts: countChanges([]),
        },
        'failed',
      );
    }
    const draft = draftFromSync(result, {
      trigger: job.trigger,
      repo: job.repo,
      commit: job.commit,
      deliveryId: job.triggerId,
      redactor,
      ...(result.contentHashes ? { contentHashes: result.contentHashes } : {}),
    });
    return await finish(draft, result.ok ? 'synced' : 'failed');
  } finally {
    await connection.close();
    await cleanup?.();
  }
}
