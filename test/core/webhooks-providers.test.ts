import { createHash, createHmac } from 'node:crypto';
import { type NormalizedPush, verifyWebhook, type WebhookResult } from '../../lib/core/webhooks';
import { readFixture } from '../helpers/fixtures';

const SECRET = 'provider-specific-secret';
const ZEROS = '0'.repeat(40);

function sign(body: Buffer): string {
  return createHmac('sha256', SECRET).update(body).digest('hex');
}

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFixture('webhooks', name)) as Record<string, unknown>;
}

function github(payload: unknown, event = 'push', headers: Record<string, string> = {}): WebhookResult {
  const body = Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
  return verifyWebhook(
    {
      headers: {
        'x-hub-signature-256': `sha256=${sign(body)}`,
        'x-github-event': event,
        'x-github-delivery': 'd-1',
        ...headers,
      },
      body,
    },
    { provider: 'github', secret: SECRET },
  );
}

function gitlab(payload: unknown, headers: Record<string, string> = {}): WebhookResult {
  const body = Buffer.from(JSON.stringify(payload));
  return verifyWebhook(
    { headers: { 'X-Gitlab-Token': SECRET, 'X-Gitlab-Event': 'Push Hook', ...headers }, body },
    { provider: 'gitlab', secret: SECRET },
  );
}

function bitbucket(payload: unknown): WebhookResult {
  const body = Buffer.from(JSON.stringify(payload));
  return verifyWebhook(
    {
      headers: {
        'X-Hub-Signature': `sha256=${sign(body)}`,
        'X-Event-Key': 'repo:push',
        'X-Request-UUID': 'b-1',
      },
      body,
    },
    { provider: 'bitbucket', secret: SECRET },
  );
}

function generic(payload: unknown, event = 'push'): WebhookResult {
  const body = Buffer.from(JSON.stringify(payload));
  return verifyWebhook(
    { headers: { 'X-Plumbline-Signature': `sha256=${sign(body)}`, 'X-Plumbline-Event': event }, body },
    { provider: 'generic', secret: SECRET },
  );
}

function pushes(result: WebhookResult): NormalizedPush[] {
  if (result.kind !== 'push') throw new Error(`expected a push, got ${JSON.stringify(result)}`);
  return result.pushes;
}

function commits(n: number): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `${i}`,
    added: [`apps/a${i}/x.yaml`],
    modified: [],
    removed: [],
  }));
}

describe('verifyWebhook (GitHub payloads)', () => {
  const push = fixture('github-push.json');

  it('answers a ping with 200 pong', () => {
    expect(github(fixture('github-ping.json'), 'ping')).toMatchObject({
      status: 200,
      kind: 'pong',
      deliveryId: 'd-1',
    });
  });

  it('ignores events other than push and ping, such as issues', () => {
    expect(github(fixture('github-issues.json'), 'issues')).toMatchObject({ status: 200, kind: 'ignored' });
  });

  it('lists changed paths for up to 19 commits and none once GitHub may have cut the list at 20', () => {
    expect(pushes(github({ ...push, commits: commits(19) }))[0]!.changedPaths).toHaveLength(19);
    expect(pushes(github({ ...push, commits: commits(20) }))[0]!.changedPaths).toBeUndefined();
  });

  it('lists no changed paths when a commit holds 3,000 files, the most GitHub lists', () => {
    const files = Array.from({ length: 3000 }, (_, i) => `f${i}`);
    const big = [{ id: 'x', added: files, modified: [], removed: [] }];
    expect(pushes(github({ ...push, commits: big }))[0]!.changedPaths).toBeUndefined();
  });

  it('lists no changed paths for a force push, whose dropped commits the payload omits', () => {
    expect(pushes(github({ ...push, forced: true }))[0]!.changedPaths).toBeUndefined();
  });

  it('lists no changed paths when commits is empty between two existing commits (a rewind)', () => {
    expect(pushes(github({ ...push, commits: [] }))[0]!.changedPaths).toBeUndefined();
    expect(pushes(github({ ...push, before: ZEROS, commits: [] }))[0]!.changedPaths).toEqual([]);
  });

  it('lists no changed paths when a commit carries something else than lists of strings', () => {
    const odd = [{ id: 'x', added: 'apps/web', modified: [], removed: [] }];
    expect(pushes(github({ ...push, commits: odd }))[0]!.changedPaths).toBeUndefined();
  });

  it('reads a form-encoded delivery from its payload field', () => {
    const form = new URLSearchParams({ payload: JSON.stringify(push) }).toString();
    const result = github(form, 'push', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(pushes(result)[0]!.after).toBe(push.after);
  });

  it('normalizes a deleted branch with an all-zeros after', () => {
    expect(pushes(github({ ...push, after: ZEROS, deleted: true, commits: [] }))[0]!.after).toBe(ZEROS);
  });

  it('refuses a push whose commit ids or ref are not what git would send, with 400', () => {
    expect(github({ ...push, after: 'HEAD' })).toMatchObject({
      status: 400,
      reason: 'push payload: after is not a commit id',
    });
    expect(github({ ...push, ref: 'main' })).toMatchObject({
      status: 400,
      reason: 'push payload: ref is not a ref ("main")',
    });
    expect(github([1, 2])).toMatchObject({ status: 400, reason: 'push payload: body is not a JSON object' });
  });

  it('lowercases commit ids', () => {
    expect(pushes(github({ ...push, after: String(push.after).toUpperCase() }))[0]!.after).toBe(push.after);
  });
});

describe('verifyWebhook (GitLab payloads)', () => {
  const push = fixture('gitlab-push.json');

  it('lists no changed paths when total_commits_count says commits were left out', () => {
    expect(pushes(gitlab({ ...push, total_commits_count: 25 }))[0]!.changedPaths).toBeUndefined();
  });

  it('ignores tag pushes and system hooks', () => {
    expect(gitlab(push, { 'X-Gitlab-Event': 'Tag Push Hook' })).toMatchObject({
      status: 200,
      kind: 'ignored',
    });
    expect(gitlab(push, { 'X-Gitlab-Event': 'System Hook' })).toMatchObject({ status: 200, kind: 'ignored' });
  });

  it('takes the delivery id from Idempotency-Key, then X-Gitlab-Event-UUID', () => {
    const both = { 'Idempotency-Key': 'idem-1', 'X-Gitlab-Event-UUID': 'event-1' };
    expect(gitlab(push, both)).toMatchObject({ deliveryId: 'idem-1' });
    expect(gitlab(push, { 'X-Gitlab-Event-UUID': 'event-1' })).toMatchObject({ deliveryId: 'event-1' });
  });

  it('does not take X-Gitlab-Webhook-UUID, the same for every delivery of a hook, as the delivery id', () => {
    const body = JSON.stringify(push);
    const digest = createHash('sha256').update(body).digest('hex').slice(0, 32);
    const result = gitlab(push, { 'X-Gitlab-Webhook-UUID': 'hook-1' });
    expect(result).toMatchObject({ deliveryId: `sha256:${digest}` });
    expect(
      gitlab({ ...push, after: 'a'.repeat(40) }, { 'X-Gitlab-Webhook-UUID': 'hook-1' }),
    ).not.toMatchObject({
      deliveryId: `sha256:${digest}`,
    });
  });

  it('refuses a token that differs only in length, or in case, with 401', () => {
    const body = Buffer.from(JSON.stringify(push));
    for (const token of [`${SECRET} `, SECRET.slice(1), SECRET.toUpperCase()]) {
      const result = verifyWebhook(
        { headers: { 'X-Gitlab-Token': token, 'X-Gitlab-Event': 'Push Hook' }, body },
        { provider: 'gitlab', secret: SECRET },
      );
      expect(result).toMatchObject({ status: 401, reason: 'X-Gitlab-Token does not match' });
    }
  });
});

describe('verifyWebhook (Bitbucket Cloud payloads)', () => {
  const push = fixture('bitbucket-push.json');

  it('turns each change into a push: a branch update and a created tag', () => {
    const [branch, tag] = pushes(bitbucket(push));
    expect(branch).toMatchObject({ ref: 'refs/heads/main', changedPaths: undefined, deliveryId: 'b-1' });
    expect(tag).toMatchObject({
      ref: 'refs/tags/v1.4.0',
      before: ZEROS,
      after: 'f2d3b7d8e5c4a1b0c9d8e7f6a5b4c3d2e1f0a9b8',
    });
  });

  it('normalizes a deleted branch (new is null) with an all-zeros after', () => {
    const deleted = {
      ...push,
      push: {
        changes: [{ old: { type: 'branch', name: 'gone', target: { hash: 'a'.repeat(40) } }, new: null }],
      },
    };
    expect(pushes(bitbucket(deleted))[0]).toMatchObject({
      ref: 'refs/heads/gone',
      before: 'a'.repeat(40),
      after: ZEROS,
    });
  });

  it('acknowledges a push that moves no git ref', () => {
    const hg = {
      ...push,
      push: {
        changes: [{ new: { type: 'named_branch', name: 'x', target: { hash: 'a'.repeat(40) } }, old: null }],
      },
    };
    expect(bitbucket(hg)).toMatchObject({ status: 200, kind: 'ignored' });
    expect(bitbucket({ ...push, push: {} })).toMatchObject({
      status: 400,
      reason: 'push payload: push.changes is not a list',
    });
  });
});

describe('verifyWebhook (Gitea and Forgejo payloads)', () => {
  const push = fixture('gitea-push.json');
  const body = Buffer.from(JSON.stringify(push));

  it('accepts Forgejo deliveries signed only with X-Forgejo-Signature', () => {
    const result = verifyWebhook(
      {
        headers: {
          'X-Forgejo-Signature': sign(body),
          'X-Forgejo-Event': 'push',
          'X-Forgejo-Delivery': 'f-1',
        },
        body,
      },
      { provider: 'gitea', secret: SECRET },
    );
    expect(result).toMatchObject({ status: 202, deliveryId: 'f-1' });
  });

  it('lists no changed paths when total_commits says commits were left out', () => {
    const cut = Buffer.from(JSON.stringify({ ...push, total_commits: 9 }));
    const result = verifyWebhook(
      { headers: { 'X-Gitea-Signature': sign(cut), 'X-Gitea-Event': 'push' }, body: cut },
      { provider: 'gitea', secret: SECRET },
    );
    expect(pushes(result)[0]!.changedPaths).toBeUndefined();
  });
});

describe('verifyWebhook (generic payloads)', () => {
  const push = fixture('generic-push.json');

  it('leaves changedPaths undefined when the sender lists none', () => {
    const { changedPaths: _, ...rest } = push;
    expect(pushes(generic(rest))[0]!.changedPaths).toBeUndefined();
  });

  it('refuses changedPaths that are not a list of strings with 400', () => {
    expect(generic({ ...push, changedPaths: [1] })).toMatchObject({
      status: 400,
      reason: 'push payload: changedPaths is not a list of strings',
    });
  });

  it('answers ping with pong', () => {
    expect(generic({}, 'ping')).toMatchObject({ status: 200, kind: 'pong' });
  });
});

describe('verifyWebhook reasons', () => {
  it('are one line and never carry the secret or the signature sent', () => {
    const body = Buffer.from('{}');
    const signature = `sha256=${'ab'.repeat(32)}`;
    const results = [
      verifyWebhook(
        { headers: { 'x-hub-signature-256': signature }, body },
        { provider: 'github', secret: SECRET },
      ),
      verifyWebhook(
        { headers: { 'x-gitlab-token': `${SECRET}x` }, body },
        { provider: 'gitlab', secret: SECRET },
      ),
      github({}, 'evil\nevent'),
    ];
    for (const result of results) {
      const reason = 'reason' in result ? result.reason : '';
      expect(reason).not.toMatch(/\n/);
      expect(reason).not.toContain(SECRET);
      expect(reason).not.toContain('abab');
    }
  });
});
