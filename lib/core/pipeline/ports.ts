import type { AuditDraft, AuditStore } from '../audit';
import type { Renderer, RendererConfig, RenderResult } from '../render';
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
    /** Writes the files under `paths` at `commit` into a fresh directory; returns it and its cleanup. */
    materialize(
      commit: string,
      paths: readonly string[],
    ): Promise<{ readonly dir: string; cleanup(): Promise<void> }>;
  };
  readonly renderer: (config: RendererConfig) => Renderer;
  readonly render: (renderer: Renderer, repoRoot: string, appPath: string) => Promise<RenderResult>;
  /** The cluster's API and the app's inventory, for the job's commit and app (session names carry them). */
  readonly connect: (job: SyncJob) => Promise<ClusterConnection>;
  readonly secrets: SecretsConfig;
  readonly audit: AuditStore;
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
