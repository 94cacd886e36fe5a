import { type Check, checkHmac, type HeaderMap } from '../headers';
import { changedPaths, name, obj, pathsOrDiff, requireCommit, requireRef, url } from '../payload';
import type { Key, ProviderSpec } from './spec';

function authenticate(headers: HeaderMap, body: Buffer, key: Key): Check {
  // Forgejo sends both headers; older Gitea only the first.
  const gitea = headers.get('x-gitea-signature');
  if (gitea !== undefined) return checkHmac(key.secret, body, 'X-Gitea-Signature', gitea, '');
  return checkHmac(key.secret, body, 'X-Gitea-Signature', headers.get('x-forgejo-signature'), '');
}

/** Gitea and Forgejo: `X-Gitea-Signature` (hex HMAC-SHA256, no prefix), `X-Gitea-Event: push`, `X-Gitea-Delivery`. */
export const gitea: ProviderSpec = {
  provider: 'gitea',
  eventHeaders: ['x-gitea-event', 'x-forgejo-event'],
  deliveryHeaders: ['x-gitea-delivery', 'x-forgejo-delivery'],
  authenticate,
  classify: (event) => (event === 'push' ? 'push' : 'other'),
  normalize(payload, base) {
    const before = requireCommit(payload.before, 'before');
    const after = requireCommit(payload.after, 'after');
    const repository = obj(payload.repository);
    // Gitea cuts the commit list (webhook PAYLOAD_COMMIT_LIMIT) and reports total_commits.
    const listed = changedPaths(
      payload.commits,
      { maxCommits: 1000, maxFilesPerCommit: 3000 },
      payload.total_commits,
    );
    const pusher = obj(payload.pusher);
    return [
      {
        ...base,
        repoUrl: url(repository?.clone_url, repository?.html_url),
        ref: requireRef(payload.ref),
        before,
        after,
        changedPaths: pathsOrDiff(listed, before, after),
        pusher: name(pusher?.login, pusher?.username, obj(payload.sender)?.login),
      },
    ];
  },
};
