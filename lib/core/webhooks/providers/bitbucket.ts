import type { Obj } from '../../manifests/object';
import { checkHmac } from '../headers';
import { name, obj, PayloadError, requireCommit, requireRef, str, url } from '../payload';
import type { NormalizedPush } from '../types';
import type { ProviderSpec } from './spec';

const ZEROS = '0'.repeat(40);
const REF_PREFIX: Record<string, string> = { branch: 'refs/heads/', tag: 'refs/tags/' };
const MAX_CHANGES = 100;

/** One entry of `push.changes[]`: a ref moved from `old` to `new` (either null when created or deleted). */
function change(
  raw: unknown,
  i: number,
  base: Omit<NormalizedPush, 'ref' | 'before' | 'after'>,
): NormalizedPush | undefined {
  const entry = obj(raw);
  if (!entry) throw new PayloadError(`push.changes[${i}] is not an object`);
  const next = obj(entry.new);
  const old = obj(entry.old);
  const named = next ?? old;
  const prefix = REF_PREFIX[str(named?.type) ?? ''];
  const refName = str(named?.name);
  // Mercurial bookmarks and named branches are gone from Bitbucket Cloud; nothing else is a git ref.
  if (!prefix || refName === undefined) return undefined;
  if (refName === '') throw new PayloadError(`push.changes[${i}] names no ref`);
  return {
    ...base,
    ref: requireRef(`${prefix}${refName}`, `push.changes[${i}]`),
    before: old ? requireCommit(obj(old.target)?.hash, `push.changes[${i}].old.target.hash`) : ZEROS,
    after: next ? requireCommit(obj(next.target)?.hash, `push.changes[${i}].new.target.hash`) : ZEROS,
  };
}

/**
 * Bitbucket Cloud: `X-Hub-Signature: sha256=<hex>`, `X-Event-Key: repo:push`, `X-Request-UUID`.
 * One delivery can move several refs (`push.changes[]`); the payload never lists changed paths.
 */
export const bitbucket: ProviderSpec = {
  provider: 'bitbucket',
  eventHeaders: ['x-event-key'],
  deliveryHeaders: ['x-request-uuid'],
  authenticate: (headers, body, key) =>
    checkHmac(key.secret, body, 'X-Hub-Signature', headers.get('x-hub-signature'), 'sha256='),
  classify: (event) => (event === 'repo:push' ? 'push' : event === 'diagnostics:ping' ? 'ping' : 'other'),
  normalize(payload: Obj, base) {
    const changes = obj(payload.push)?.changes;
    if (!Array.isArray(changes)) throw new PayloadError('push.changes is not a list');
    if (changes.length > MAX_CHANGES) throw new PayloadError(`more than ${MAX_CHANGES} push.changes`);
    const repository = obj(payload.repository);
    const actor = obj(payload.actor);
    const common = {
      ...base,
      repoUrl: url(obj(obj(repository?.links)?.html)?.href, repository?.full_name),
      changedPaths: undefined,
      pusher: name(actor?.nickname, actor?.display_name, actor?.account_id),
    };
    return changes.flatMap((raw: unknown, i) => change(raw, i, common) ?? []);
  },
};
