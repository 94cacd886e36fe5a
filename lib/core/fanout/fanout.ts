import type { RepoConfig } from '../repo-config/schema';
import { isZeroCommit, type NormalizedPush } from '../webhooks/types';
import { ChangedPathsError } from './errors';
import { appPathIndex } from './path-index';

/** Where a push changes the config: every app may have changed. */
export const REPO_CONFIG_PATH = 'plumbline.yaml';

/** One message for the sync queue (message group = cluster). */
export interface SyncRequest {
  cluster: string;
  app: string;
  /** The commit to read the desired state from: the push's `after`. */
  commit: string;
  ref: string;
  deliveryId: string;
  trigger: 'webhook';
}

export interface FanOutOptions {
  /** The branch the deployment tracks, without `refs/heads/`. */
  branch: string;
  /** Lists the paths changed between two commits (the git adapter); used when the payload has none. */
  changedPaths?: (before: string, after: string) => Promise<string[]>;
}

export type FanOutReason =
  | 'other-ref'
  | 'branch-deleted'
  | 'new-branch'
  | 'config-changed'
  | 'paths'
  | 'no-diff-available'
  | 'diff-failed';

/** A fan-out with the reason for its choice, for the log line of the delivery. */
export interface FanOutPlan {
  requests: SyncRequest[];
  reason: FanOutReason;
  /** The paths matched against the apps (from the payload or the diff). */
  changedPaths?: readonly string[];
  /** Set when reason is 'diff-failed'. */
  error?: ChangedPathsError;
}

/** The sync requests for a push: see planFanOut. */
export async function fanOut(
  push: NormalizedPush,
  config: RepoConfig,
  options: FanOutOptions,
): Promise<SyncRequest[]> {
  return (await planFanOut(push, config, options)).requests;
}

/**
 * A push to the tracked branch becomes one sync request per app whose inputs it changed: the app's
 * path, its `dependsOn` paths and its helm value files (path-segment aware). A change to
 * plumbline.yaml, a newly created branch, or a diff that cannot be had syncs every app; a push to
 * another ref, or the branch's deletion, syncs none. Erring towards syncing is safe: syncs are idempotent.
 */
export async function planFanOut(
  push: NormalizedPush,
  config: RepoConfig,
  options: FanOutOptions,
): Promise<FanOutPlan> {
  if (push.ref !== `refs/heads/${options.branch}`) return { requests: [], reason: 'other-ref' };
  // Deleting the tracked branch is not a request to delete everything: the apps keep their last sync.
  if (isZeroCommit(push.after)) return { requests: [], reason: 'branch-deleted' };
  const all = (reason: FanOutReason, extra: Partial<FanOutPlan> = {}): FanOutPlan => ({
    requests: config.apps.map((app) => request(push, app.cluster, app.name)),
    reason,
    ...extra,
  });
  if (isZeroCommit(push.before)) return all('new-branch');

  let paths = push.changedPaths;
  if (paths === undefined) {
    if (!options.changedPaths) return all('no-diff-available');
    try {
      paths = await options.changedPaths(push.before, push.after);
    } catch (err: unknown) {
      return all('diff-failed', { error: new ChangedPathsError(push.before, push.after, { cause: err }) });
    }
  }
  if (paths.some(isRepoConfig)) return all('config-changed', { changedPaths: paths });
  const index = appPathIndex(config);
  const requests = index.match(paths).map((i) => {
    const app = config.apps[i]!;
    return request(push, app.cluster, app.name);
  });
  return { requests, reason: 'paths', changedPaths: paths };
}

function isRepoConfig(path: string): boolean {
  return path === REPO_CONFIG_PATH || path === `/${REPO_CONFIG_PATH}`;
}

function request(push: NormalizedPush, cluster: string, app: string): SyncRequest {
  return { cluster, app, commit: push.after, ref: push.ref, deliveryId: push.deliveryId, trigger: 'webhook' };
}
