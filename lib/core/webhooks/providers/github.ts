import { checkHmac } from '../headers';
import { changedPaths, name, obj, pathsOrDiff, requireCommit, requireRef, url } from '../payload';
import type { ProviderSpec } from './spec';

/**
 * A list of 20 commits or a commit of 3,000 files may have been cut (20 is GitHub's limit for
 * timeline events, webhooks go further; erring towards a diff costs a fetch, never a missed app).
 */
export const GITHUB_LIMITS = { maxCommits: 20, maxFilesPerCommit: 3000 };

/**
 * GitHub: `X-Hub-Signature-256: sha256=<hex>`, `X-GitHub-Event` (`ping`, `push`), `X-GitHub-Delivery`
 * (kept on redelivery, so replays dedupe).
 */
export const github: ProviderSpec = {
  provider: 'github',
  eventHeaders: ['x-github-event'],
  deliveryHeaders: ['x-github-delivery'],
  authenticate: (headers, body, key) =>
    checkHmac(key.secret, body, 'X-Hub-Signature-256', headers.get('x-hub-signature-256'), 'sha256='),
  classify: (event) => (event === 'push' ? 'push' : event === 'ping' ? 'ping' : 'other'),
  normalize(payload, base) {
    const before = requireCommit(payload.before, 'before');
    const after = requireCommit(payload.after, 'after');
    const repository = obj(payload.repository);
    // A force push lists only the new commits: paths the dropped commits touched would be missed.
    const listed = payload.forced === true ? undefined : changedPaths(payload.commits, GITHUB_LIMITS);
    return [
      {
        ...base,
        repoUrl: url(repository?.clone_url, repository?.html_url, repository?.url),
        ref: requireRef(payload.ref),
        before,
        after,
        changedPaths: pathsOrDiff(listed, before, after),
        pusher: name(obj(payload.pusher)?.name, obj(payload.sender)?.login),
      },
    ];
  },
};
