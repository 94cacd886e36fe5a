import type { AuditDraft, AuditStore } from '../audit';
import type { Renderer, RendererConfig, RenderLimits, RenderResult } from '../render';
import type { SignatureVerifier } from '../signatures';
import type { SecretsConfig } from '../sync';
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
    /** Gives up a running claim after an attempt failed transiently, so the retry may claim it. */
    release(cluster: string, app: string, commit: string, triggerId: string): Promise<void>;
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
    /** The raw commit object: its author goes into the audit record, its signature is checked. */
    readCommit(commit: string): Promise<Uint8Array>;
    /** The commit `ref` points to on the server now (one request). */
    branchHead(ref: string): Promise<string>;
    /** Whether `commit` is `ancestor` or descends from it on `ref`, fetching history as needed. */
    ancestry(ancestor: string, commit: string, ref: string): Promise<Ancestry>;
    /** Writes the files under `paths` at `commit` into a fresh directory; returns it and its cleanup. */
    materialize(
      commit: string,
      paths: readonly string[],
      limits: RenderLimits,
    ): Promise<{ readonly dir: string; cleanup(): Promise<void>; readonly notes?: readonly string[] }>;
  };
  readonly renderer: (config: RendererConfig) => Renderer;
  readonly render: (
    renderer: Renderer,
    repoRoot: string,
    appPath: string,
    limits: RenderLimits,
  ) => Promise<RenderResult>;
  /** The cluster's API and the app's inventory, for the job's commit and app (session names carry them). */
  readonly connect: (job: SyncJob) => Promise<ClusterConnection>;
  readonly secrets: SecretsConfig;
  readonly audit: AuditStore;
  /** The last commit applied to each app (only forward) and records kept when an append failed. */
  readonly state: PipelineState;
  readonly publish: (detail: Record<string, unknown>) => Promise<void>;
  /** Milliseconds the invocation has left. */
  readonly remainingMs: () => number;
  readonly contentHashKey?: string;
  /**
   * Present when the deployment requires signed commits from the job's repository (policy `head`):
   * the commit must carry a signature by one of its trusted keys before anything is read from it.
   */
  readonly signatures?: SignatureVerifier;
  /** The job's state for the commit (a commit status on the git host); a failure is only warned about. */
  readonly reportStatus?: (job: SyncJob, state: CommitState, description: string) => Promise<void>;
  readonly warn?: (message: string, attributes: Record<string, unknown>) => void;
}

export interface ClusterConnection {
  readonly cluster: ClusterPort;
  readonly inventory: InventoryStore;
  /** The IAM principal that acts on the cluster (the assumed role's ARN), for the audit record. */
  readonly principal?: string;
  close(): Promise<void>;
}

/** Commit status states, as GitHub names them. */
export type CommitState = 'pending' | 'success' | 'failure' | 'error';

export interface SyncJobResult {
  readonly status: 'synced' | 'drift-checked' | 'failed' | 'stale' | 'duplicate';
  readonly outcome?: AuditDraft['outcome'];
  readonly auditSeq?: number;
}

/**
 * Whether a commit is another or descends from it. `unknown` (a shallow history, a commit no longer
 * on the branch) says why it cannot be decided.
 */
export type Ancestry =
  | { readonly kind: 'descendant' }
  | { readonly kind: 'unrelated' }
  | { readonly kind: 'unknown'; readonly why: string };

/** An audit draft kept in the state table because its append failed; `key` releases it. */
export interface KeptDraft {
  readonly key: string;
  readonly draft: AuditDraft;
}

export interface LastApplied {
  readonly commit: string;
  readonly repo?: string;
}

/** The pipeline's own items in the state table (pk `CLUSTER#<cluster>`). */
export interface PipelineState {
  /**
   * The commit the last sync that reached the cluster applied to the app (sk `APPLIED#<app>`), and
   * the repository it came from (absent in items written before repositories were recorded).
   */
  lastApplied(cluster: string, app: string): Promise<LastApplied | undefined>;
  /** Also records the repository the commit came from: the app's name on the cluster is then its. */
  setLastApplied(cluster: string, app: string, commit: string, repo?: string): Promise<void>;
  /** Keeps a draft whose append failed (sk `OUTBOX#<app>#…`), to be appended before the app's next job. */
  keep(cluster: string, draft: AuditDraft): Promise<void>;
  /** The app's kept drafts, oldest first. */
  kept(cluster: string, app: string): Promise<readonly KeptDraft[]>;
  release(cluster: string, app: string, key: string): Promise<void>;
}
