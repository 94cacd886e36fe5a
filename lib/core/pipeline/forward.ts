import type { SyncJob, SyncJobPorts } from './ports';

/** Whether a job may apply its commit; when not, why (naming the head and the last applied commit). */
export type ForwardCheck = { readonly forward: true } | { readonly forward: false; readonly reason: string };

/**
 * Only forward (#14): a job applies its commit only when it is the branch head as fetched now, or the
 * last commit applied to the app on the cluster or a descendant of it that is still on the branch. A redelivered or out-of-order
 * push names an older commit and would roll the cluster back. When ancestry cannot be decided (the
 * history fetched is too shallow, the commit left the branch), the answer is no: the branch head
 * always applies, so the cluster still reaches it.
 */
export async function checkForward(
  job: SyncJob,
  repo: Pick<SyncJobPorts['repo'], 'branchHead' | 'ancestry'>,
  last: string | undefined,
): Promise<ForwardCheck> {
  const head = await repo.branchHead(job.ref);
  if (head === job.commit) return { forward: true };
  const notHead = `commit ${job.commit} is not the head of ${job.ref} (${head})`;
  if (last === undefined)
    return { forward: false, reason: `${notHead}, and no commit has been applied to ${job.app} yet` };
  const ancestry = await repo.ancestry(last, job.commit, job.ref);
  if (ancestry.kind === 'descendant') {
    // A force-push that moved the branch back leaves the commits it dropped descending from what
    // it then applied: only a commit still on the branch moves forward.
    const onBranch = await repo.ancestry(job.commit, head, job.ref);
    if (onBranch.kind === 'descendant') return { forward: true };
    return {
      forward: false,
      reason:
        onBranch.kind === 'unrelated'
          ? `${notHead}, and is no longer on it, though it descends from the last commit applied (${last})`
          : `${notHead}, and whether it is still on it cannot be decided: ${onBranch.why}`,
    };
  }
  if (ancestry.kind === 'unrelated')
    return { forward: false, reason: `${notHead} nor a descendant of the last commit applied (${last})` };
  return {
    forward: false,
    reason: `${notHead}, and whether it descends from the last commit applied (${last}) cannot be decided: ${ancestry.why}`,
  };
}
