import { checkHmac } from '../headers';
import { name, PayloadError, requireCommit, requireRef, url } from '../payload';
import type { ProviderSpec } from './spec';

function pathList(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    throw new PayloadError('changedPaths is not a list of strings');
  }
  return [...new Set(value as string[])];
}

/**
 * Any other sender (a CI job, a mirror): `X-Plumbline-Signature: sha256=<hex>`,
 * `X-Plumbline-Event: push|ping`, `X-Plumbline-Delivery`, and a body
 * `{ repoUrl, ref, before, after, changedPaths?, pusher? }` (without changedPaths the commits are diffed).
 */
export const generic: ProviderSpec = {
  provider: 'generic',
  eventHeaders: ['x-plumbline-event'],
  deliveryHeaders: ['x-plumbline-delivery'],
  authenticate: (headers, body, key) =>
    checkHmac(key.secret, body, 'X-Plumbline-Signature', headers.get('x-plumbline-signature'), 'sha256='),
  classify: (event) => (event === 'push' ? 'push' : event === 'ping' ? 'ping' : 'other'),
  normalize(payload, base) {
    return [
      {
        ...base,
        repoUrl: url(payload.repoUrl),
        ref: requireRef(payload.ref),
        before: requireCommit(payload.before, 'before'),
        after: requireCommit(payload.after, 'after'),
        changedPaths: pathList(payload.changedPaths),
        pusher: name(payload.pusher),
      },
    ];
  },
};
