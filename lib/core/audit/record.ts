import { createHash } from 'node:crypto';
import { parseId } from '../manifests/object';
import { HOOK_PHASES, type HookPhase } from '../order/hooks';
import type { ChangeAction, ChangeCounts } from '../sync/changeset';
import { canonicalJson } from './canonical';
import { AuditRecordError } from './errors';

/** The prevHash of seq 1. */
export const GENESIS_HASH = '0'.repeat(64);

export const AUDIT_TRIGGERS = ['webhook', 'schedule', 'manual', 'drift'] as const;
export type AuditTrigger = (typeof AUDIT_TRIGGERS)[number];

/**
 * `stale`: a commit behind what the cluster runs, skipped (only forward); `refused`: the policy refused
 * the commit before any write; `orphaned`: an app no longer declared, its objects left in place.
 */
export const AUDIT_OUTCOMES = [
  'succeeded',
  'failed',
  'drift',
  'progressing',
  'stale',
  'refused',
  'orphaned',
] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/** Of a failed attempt: `transient` is retried (a later record follows), `permanent` is not. */
export const AUDIT_FAILURES = ['transient', 'permanent'] as const;
export type AuditFailure = (typeof AUDIT_FAILURES)[number];

const ACTIONS: readonly ChangeAction[] = [
  'created',
  'configured',
  'unchanged',
  'deleted',
  'skipped',
  'failed',
];

/** Longer reasons and errors are cut: a record must fit in one DynamoDB item whatever a cluster says. */
export const MAX_REASON_LENGTH = 1024;
export const MAX_ERROR_LENGTH = 4096;

/** Who caused a sync; each part is known only in some paths (no signer unless signatures are required). */
export interface AuditWho {
  /** The commit's author, `Name <email>`. */
  readonly author?: string;
  /** Fingerprint of the key that made a verified commit signature. */
  readonly signer?: string;
  /** The IAM principal that applied (the assumed role's ARN). */
  readonly principal?: string;
}

/** One change-set entry: never an object's content, only its id and a content hash (never a secret value). */
export interface AuditChange {
  /** `group/kind/namespace/name` (formatId). */
  readonly id: string;
  readonly action: ChangeAction;
  readonly reason?: string;
  /** contentHash() of the desired object; absent for deletes. */
  readonly contentHash?: string;
  /** Set for a hook: the phase it ran in (or was not run in) and how long it took (`action` is its result). */
  readonly hook?: { readonly phase: HookPhase; readonly durationMs: number };
}

/** What a writer supplies; the store adds cluster, seq, prevHash and hash. */
export interface AuditDraft {
  readonly app: string;
  readonly repo?: string;
  readonly commit?: string;
  readonly trigger: AuditTrigger;
  /** The webhook delivery (or queue message) id that caused the sync. */
  readonly deliveryId?: string;
  readonly outcome: AuditOutcome;
  readonly who: AuditWho;
  /** ISO 8601 UTC with milliseconds (`Date.toISOString()`); other ISO forms are normalised to it. */
  readonly ts: string;
  readonly durationMs: number;
  readonly error?: string;
  /** Set when outcome is `failed`: whether the attempt will be retried. */
  readonly failure?: AuditFailure;
  /** Why nothing was applied: a stale commit's head and last applied commit; an orphaned app's fate. */
  readonly reason?: string;
  readonly changes: readonly AuditChange[];
  /** Counts over the whole change set, also when `changes` was truncated. */
  readonly counts: ChangeCounts;
  /** Set when `changes` holds only part of the change set (a record must fit one item). */
  readonly truncated?: boolean;
  /** The whole change set's length, set with `truncated`. */
  readonly changeCount?: number;
}

export interface AuditRecord extends AuditDraft {
  readonly cluster: string;
  readonly seq: number;
  readonly prevHash: string;
  /** sha256(prevHash + canonicalJson(record without hash and mac)), hex. */
  readonly hash: string;
  /** HMAC-SHA256 of the hash under the deployment's record key, base64 (mac.ts); absent in records before ADR 0018. */
  readonly mac?: string;
}

export type UnsealedRecord = Omit<AuditRecord, 'hash' | 'mac'>;

export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
}

const HEX64 = /^[0-9a-f]{64}$/;
const CLUSTER = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** Cluster names become key prefixes (`CLUSTER#c`, `c#app`): no `#`, nothing a key could be confused by. */
export function validateCluster(cluster: string): string {
  if (!CLUSTER.test(cluster))
    throw new AuditRecordError(`invalid cluster name "${cluster}": want letters, digits, '.', '_', '-'`);
  return cluster;
}

export function recordHash(record: UnsealedRecord | AuditRecord): string {
  // The MAC authenticates the hash, so it cannot be part of it.
  const { hash: _hash, mac: _mac, ...rest } = record as AuditRecord;
  return createHash('sha256').update(record.prevHash).update(canonicalJson(rest)).digest('hex');
}

/** Chains a draft onto `head` (undefined: the genesis record). */
export function sealRecord(cluster: string, draft: AuditDraft, head: ChainHead | undefined): AuditRecord {
  const unsealed: UnsealedRecord = {
    ...normalizeDraft(draft),
    cluster: validateCluster(cluster),
    seq: head ? head.seq + 1 : 1,
    prevHash: head ? head.hash : GENESIS_HASH,
  };
  return { ...unsealed, hash: recordHash(unsealed) };
}

/** Strings as DynamoDB stores them: UTF-8 cannot carry a lone surrogate, so it would not round-trip. */
function wellFormed(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}

function cut(text: string, max: number): string {
  const clean = wellFormed(text);
  return clean.length <= max ? clean : `${clean.slice(0, max - 1)}…`;
}

function optional(name: string, value: unknown, max = 1024): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '' || value.length > max)
    throw new AuditRecordError(
      `audit record: ${name} must be a non-empty string of at most ${max} characters`,
    );
  return wellFormed(value);
}

function normalizeChange(change: AuditChange, index: number): AuditChange {
  try {
    parseId(change.id);
  } catch (err: unknown) {
    throw new AuditRecordError(`audit record: changes[${index}]: invalid object id "${change.id}"`, {
      cause: err,
    });
  }
  if (!ACTIONS.includes(change.action))
    throw new AuditRecordError(
      `audit record: changes[${index}] (${change.id}): unknown action "${change.action}"`,
    );
  if (change.contentHash !== undefined && !HEX64.test(change.contentHash))
    throw new AuditRecordError(
      `audit record: changes[${index}] (${change.id}): contentHash is not sha256 hex`,
    );
  const { hook } = change;
  if (hook !== undefined && !HOOK_PHASES.includes(hook.phase))
    throw new AuditRecordError(
      `audit record: changes[${index}] (${change.id}): unknown hook phase "${String(hook.phase)}"`,
    );
  return {
    id: wellFormed(change.id),
    action: change.action,
    ...(change.reason !== undefined ? { reason: cut(change.reason, MAX_REASON_LENGTH) } : {}),
    ...(change.contentHash !== undefined ? { contentHash: change.contentHash } : {}),
    ...(hook !== undefined
      ? {
          hook: {
            phase: hook.phase,
            durationMs: count(`changes[${index}].hook.durationMs`, hook.durationMs),
          },
        }
      : {}),
  };
}

function count(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw new AuditRecordError(`audit record: ${name} must be a non-negative integer, got ${String(value)}`);
  return value;
}

/**
 * The draft with exactly the record's fields (extra properties dropped), validated, strings made
 * well-formed, long reasons cut and ts normalised: what is hashed is what the store can hold.
 */
export function normalizeDraft(draft: AuditDraft): AuditDraft {
  if (typeof draft.app !== 'string' || draft.app === '' || draft.app.length > 253)
    throw new AuditRecordError('audit record: app must be a non-empty string of at most 253 characters');
  if (!AUDIT_TRIGGERS.includes(draft.trigger))
    throw new AuditRecordError(`audit record: unknown trigger "${String(draft.trigger)}"`);
  if (!AUDIT_OUTCOMES.includes(draft.outcome))
    throw new AuditRecordError(`audit record: unknown outcome "${String(draft.outcome)}"`);
  const time = typeof draft.ts === 'string' ? Date.parse(draft.ts) : Number.NaN;
  if (Number.isNaN(time))
    throw new AuditRecordError(`audit record: ts "${String(draft.ts)}" is not an ISO time`);
  const commit = optional('commit', draft.commit, 128);
  if (commit !== undefined && /\s/.test(commit))
    throw new AuditRecordError('audit record: commit has whitespace');
  if (draft.failure !== undefined && !AUDIT_FAILURES.includes(draft.failure))
    throw new AuditRecordError(`audit record: unknown failure "${String(draft.failure)}"`);
  const who = draft.who ?? {};
  const counts = Object.fromEntries(ACTIONS.map((a) => [a, count(`counts.${a}`, draft.counts?.[a])]));
  return {
    app: wellFormed(draft.app),
    repo: optional('repo', draft.repo),
    commit,
    trigger: draft.trigger,
    deliveryId: optional('deliveryId', draft.deliveryId),
    outcome: draft.outcome,
    who: {
      author: optional('who.author', who.author),
      signer: optional('who.signer', who.signer),
      principal: optional('who.principal', who.principal),
    },
    ts: new Date(time).toISOString(),
    durationMs: count(
      'durationMs',
      typeof draft.durationMs === 'number' ? Math.round(draft.durationMs) : draft.durationMs,
    ),
    error: draft.error === undefined ? undefined : cut(draft.error, MAX_ERROR_LENGTH),
    failure: draft.failure,
    reason: draft.reason === undefined ? undefined : cut(draft.reason, MAX_REASON_LENGTH),
    changes: draft.changes.map(normalizeChange),
    counts: counts as ChangeCounts,
    truncated: draft.truncated === true ? true : undefined,
    changeCount: draft.truncated === true ? count('changeCount', draft.changeCount) : undefined,
  };
}
