import { checkToken } from '../headers';
import { changedPaths, name, obj, pathsOrDiff, requireCommit, requireRef, url } from '../payload';
import type { ProviderSpec } from './spec';

/**
 * GitLab: a shared token in `X-Gitlab-Token` (no HMAC), `X-Gitlab-Event: Push Hook`. The delivery
 * id is `Idempotency-Key` (kept across retries, GitLab 17.4+) or `X-Gitlab-Event-UUID`. Not
 * `X-Gitlab-Webhook-UUID`: GitLab documents it as an id per webhook, and deduping on it would drop
 * every push after the first; without the others the body's digest stands in.
 */
export const gitlab: ProviderSpec = {
  provider: 'gitlab',
  eventHeaders: ['x-gitlab-event'],
  deliveryHeaders: ['idempotency-key', 'x-gitlab-event-uuid'],
  authenticate: (headers, _body, key) =>
    checkToken(key.digest, 'X-Gitlab-Token', headers.get('x-gitlab-token')),
  // Tag pushes arrive as `Tag Push Hook`, system hooks as `System Hook`: only branch pushes sync.
  classify: (event) => (event === 'Push Hook' ? 'push' : 'other'),
  normalize(payload, base) {
    const before = requireCommit(payload.before, 'before');
    const after = requireCommit(payload.after, 'after');
    const project = obj(payload.project);
    const repository = obj(payload.repository);
    // GitLab lists at most 20 commits and says how many there were in total_commits_count.
    const listed = changedPaths(
      payload.commits,
      { maxCommits: 20, maxFilesPerCommit: 3000 },
      payload.total_commits_count,
    );
    return [
      {
        ...base,
        repoUrl: url(project?.git_http_url, repository?.git_http_url, project?.web_url, repository?.homepage),
        ref: requireRef(payload.ref),
        before,
        after,
        changedPaths: pathsOrDiff(listed, before, after),
        pusher: name(payload.user_username, payload.user_name),
      },
    ];
  },
};
