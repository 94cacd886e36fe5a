import { createHmac } from 'node:crypto';
import {
  createWebhookVerifier,
  InMemoryDedupe,
  type Provider,
  receiveWebhook,
  verifyWebhook,
  WebhookConfigError,
  type WebhookRequest,
  type WebhookResult,
} from '../../lib/core/webhooks';
import { readFixture } from '../helpers/fixtures';

const SECRET = 'It5-a-s3cret-nobody-guesses';

function hmacHex(body: Buffer, secret = SECRET): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

interface ProviderCase {
  provider: Provider;
  fixture: string;
  /** The header carrying the signature or token, as the provider spells it. */
  authHeader: string;
  /** A correct value of authHeader for `body`. */
  auth(body: Buffer, secret?: string): string;
  eventHeader: string;
  pushEvent: string;
  deliveryHeader: string;
  expected: { repoUrl: string; ref: string; before: string; after: string; pusher: string; paths?: string[] };
}

const CASES: ProviderCase[] = [
  {
    provider: 'github',
    fixture: 'github-push.json',
    authHeader: 'X-Hub-Signature-256',
    auth: (body, secret) => `sha256=${hmacHex(body, secret)}`,
    eventHeader: 'X-GitHub-Event',
    pushEvent: 'push',
    deliveryHeader: 'X-GitHub-Delivery',
    expected: {
      repoUrl: 'https://github.com/acme/platform-config.git',
      ref: 'refs/heads/main',
      before: '6113728f27ae82c7b1a177c8d03f9e96e0adf246',
      after: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
      pusher: 'octocat',
      paths: [
        'apps/web/deployment.yaml',
        'bases/service/kustomization.yaml',
        'bases/service/old.yaml',
        'bases/service/pdb.yaml',
      ],
    },
  },
  {
    provider: 'gitlab',
    fixture: 'gitlab-push.json',
    authHeader: 'X-Gitlab-Token',
    auth: (_body, secret) => secret ?? SECRET,
    eventHeader: 'X-Gitlab-Event',
    pushEvent: 'Push Hook',
    deliveryHeader: 'X-Gitlab-Event-UUID',
    expected: {
      repoUrl: 'https://gitlab.example.com/acme/platform-config.git',
      ref: 'refs/heads/main',
      before: '95790bf891e76fee5e1747ab589903a6a1f80f22',
      after: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
      pusher: 'jsmith',
      paths: ['apps/web/configmap.yaml', 'values/api-prod.yaml'],
    },
  },
  {
    provider: 'bitbucket',
    fixture: 'bitbucket-push.json',
    authHeader: 'X-Hub-Signature',
    auth: (body, secret) => `sha256=${hmacHex(body, secret)}`,
    eventHeader: 'X-Event-Key',
    pushEvent: 'repo:push',
    deliveryHeader: 'X-Request-UUID',
    expected: {
      repoUrl: 'https://bitbucket.org/acme/platform-config',
      ref: 'refs/heads/main',
      before: '1e65c05c1d5171631d92438a13901ca7dae9618c',
      after: 'f2d3b7d8e5c4a1b0c9d8e7f6a5b4c3d2e1f0a9b8',
      pusher: 'jdoe',
    },
  },
  {
    provider: 'gitea',
    fixture: 'gitea-push.json',
    authHeader: 'X-Gitea-Signature',
    auth: (body, secret) => hmacHex(body, secret),
    eventHeader: 'X-Gitea-Event',
    pushEvent: 'push',
    deliveryHeader: 'X-Gitea-Delivery',
    expected: {
      repoUrl: 'https://gitea.example.com/acme/platform-config.git',
      ref: 'refs/heads/main',
      before: '28e1879d029cb852e4844d9c718537df08844e03',
      after: 'bffeb74224043ba2feb48d137756c8a9331c449a',
      pusher: 'ana',
      paths: ['apps/worker/cronjob.yaml', 'apps/worker/kustomization.yaml'],
    },
  },
  {
    provider: 'generic',
    fixture: 'generic-push.json',
    authHeader: 'X-Plumbline-Signature',
    auth: (body, secret) => `sha256=${hmacHex(body, secret)}`,
    eventHeader: 'X-Plumbline-Event',
    pushEvent: 'push',
    deliveryHeader: 'X-Plumbline-Delivery',
    expected: {
      repoUrl: 'https://git.example.com/acme/platform-config.git',
      ref: 'refs/heads/main',
      before: '3f786850e387550fdab836ed7e6dc881de23001b',
      after: '89e6c98d92887913cadf06b2adb97f26cde4849b',
      pusher: 'ci-mirror',
      paths: ['apps/api/deployment.yaml'],
    },
  },
];

function delivery(
  c: ProviderCase,
  body = Buffer.from(readFixture('webhooks', c.fixture)),
  extra = {},
): WebhookRequest {
  return {
    headers: {
      'Content-Type': 'application/json',
      [c.authHeader]: c.auth(body),
      [c.eventHeader]: c.pushEvent,
      [c.deliveryHeader]: `delivery-${c.provider}-1`,
      ...extra,
    },
    body,
  };
}

function verify(c: ProviderCase, request: WebhookRequest, maxBodyBytes?: number): WebhookResult {
  return verifyWebhook(request, {
    provider: c.provider,
    secret: SECRET,
    ...(maxBodyBytes ? { maxBodyBytes } : {}),
  });
}

describe.each(CASES)('verifyWebhook ($provider)', (c) => {
  it('accepts a signed push and normalizes it', () => {
    const result = verify(c, delivery(c));
    if (result.kind !== 'push') throw new Error(`expected a push, got ${JSON.stringify(result)}`);
    expect(result.status).toBe(202);
    const push = result.pushes[0]!;
    const { paths, ...fields } = c.expected;
    expect(push).toMatchObject({ provider: c.provider, deliveryId: `delivery-${c.provider}-1`, ...fields });
    expect(push.changedPaths?.slice().sort()).toEqual(paths);
  });

  it('refuses a signature made with another secret with 401', () => {
    const body = Buffer.from(readFixture('webhooks', c.fixture));
    const result = verify(c, delivery(c, body, { [c.authHeader]: c.auth(body, 'another-secret-entirely') }));
    expect(result).toMatchObject({ status: 401, kind: 'rejected' });
  });

  it('refuses a signature of the wrong length with 401, without throwing', () => {
    const right = c.auth(Buffer.from(readFixture('webhooks', c.fixture)));
    for (const wrong of [right.slice(0, -2), `${right}00`, '', 'sha256=']) {
      expect(verify(c, delivery(c, undefined, { [c.authHeader]: wrong }))).toMatchObject({ status: 401 });
    }
  });

  it('refuses a delivery without the signature header with 401', () => {
    const request = delivery(c);
    delete request.headers[c.authHeader];
    const result = verify(c, request);
    expect(result).toMatchObject({ status: 401, reason: `missing ${c.authHeader} header` });
  });

  it('refuses a body over the cap with 413 before looking at the signature', () => {
    const request = delivery(c, undefined, { [c.authHeader]: 'garbage' });
    expect(verify(c, request, request.body.length - 1)).toMatchObject({ status: 413 });
    expect(verify(c, request, request.body.length).status).toBe(401);
  });

  it('answers 400 to signed JSON that does not parse', () => {
    const body = Buffer.from('{"ref": "refs/heads/main", ');
    expect(verify(c, delivery(c, body))).toMatchObject({
      status: 400,
      reason: 'push payload: body is not valid JSON',
    });
  });

  it('acknowledges a signed event it does not handle with 200 and ignores it', () => {
    const result = verify(c, delivery(c, undefined, { [c.eventHeader]: 'repo:fork' }));
    expect(result).toMatchObject({ status: 200, kind: 'ignored', event: 'repo:fork' });
  });

  it('answers a replayed delivery with 200 duplicate and nothing to enqueue', async () => {
    const verifier = createWebhookVerifier({ provider: c.provider, secret: SECRET });
    const dedupe = new InMemoryDedupe();
    const first = await receiveWebhook(delivery(c), { verifier, dedupe });
    const replay = await receiveWebhook(delivery(c), { verifier, dedupe });
    expect(first).toMatchObject({ status: 202, kind: 'push' });
    expect(replay).toEqual(expect.objectContaining({ status: 200, kind: 'duplicate', duplicate: true }));
    expect(replay).not.toHaveProperty('pushes');
  });

  it('decodes a base64 body from API Gateway before checking the HMAC', () => {
    const raw = delivery(c);
    const encoded = {
      ...raw,
      body: Buffer.from(raw.body.toString('base64'), 'latin1'),
      isBase64Encoded: true,
    };
    expect(verify(c, encoded)).toEqual(verify(c, raw));
    expect(verify(c, encoded).status).toBe(202);
  });

  it('reads header names in any case', () => {
    const request = delivery(c);
    const shouted = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toUpperCase(), v]));
    expect(verify(c, { ...request, headers: shouted }).status).toBe(202);
  });

  it('refuses a signature header given twice', () => {
    const request = delivery(c);
    const value = request.headers[c.authHeader] as string;
    request.headers[c.authHeader] = [value, value];
    expect(verify(c, request).status).toBe(401);
    expect(
      verify(c, { ...delivery(c), headers: { ...delivery(c).headers, [c.authHeader.toLowerCase()]: value } })
        .status,
    ).toBe(401);
  });

  it('answers 400 to a signed delivery without an event header', () => {
    const request = delivery(c);
    delete request.headers[c.eventHeader];
    expect(verify(c, request)).toMatchObject({ status: 400 });
  });
});

describe('createWebhookVerifier', () => {
  it('refuses to start with an empty or blank secret', () => {
    expect(() => createWebhookVerifier({ provider: 'github', secret: '' })).toThrow(WebhookConfigError);
    expect(() => createWebhookVerifier({ provider: 'gitlab', secret: '  ' })).toThrow(
      'the gitlab webhook secret is empty: refusing to accept unauthenticated deliveries',
    );
  });

  it('refuses an unknown provider and a nonsensical size cap', () => {
    expect(() => createWebhookVerifier({ provider: 'svn' as Provider, secret: SECRET })).toThrow(
      /unknown webhook provider "svn"/,
    );
    expect(() => createWebhookVerifier({ provider: 'github', secret: SECRET, maxBodyBytes: 0 })).toThrow(
      WebhookConfigError,
    );
  });
});
