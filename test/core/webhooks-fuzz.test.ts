import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import {
  createWebhookVerifier,
  PROVIDERS,
  type Provider,
  UNEXPECTED_REASON,
  type WebhookRequest,
} from '../../lib/core/webhooks';
import { readFixture } from '../helpers/fixtures';

const SECRET = 'fuzz-secret';
const STATUSES = [200, 202, 400, 401, 413];
const MAX = 4096;

/** The header that authenticates each provider's deliveries, and how a correct value is made. */
const AUTH: Record<
  Provider,
  { header: string; event: string; push: string; value: (body: Buffer) => string }
> = {
  github: {
    header: 'X-Hub-Signature-256',
    event: 'X-GitHub-Event',
    push: 'push',
    value: (b) => `sha256=${hmac(b)}`,
  },
  gitlab: { header: 'X-Gitlab-Token', event: 'X-Gitlab-Event', push: 'Push Hook', value: () => SECRET },
  bitbucket: {
    header: 'X-Hub-Signature',
    event: 'X-Event-Key',
    push: 'repo:push',
    value: (b) => `sha256=${hmac(b)}`,
  },
  gitea: { header: 'X-Gitea-Signature', event: 'X-Gitea-Event', push: 'push', value: (b) => hmac(b) },
  generic: {
    header: 'X-Plumbline-Signature',
    event: 'X-Plumbline-Event',
    push: 'push',
    value: (b) => `sha256=${hmac(b)}`,
  },
};
const PUSH_EVENTS = ['push', 'Push Hook', 'repo:push', 'ping', 'PUSH', ''];

function fixture(provider: Provider): Record<string, unknown> {
  return JSON.parse(readFixture('webhooks', `${provider}-push.json`)) as Record<string, unknown>;
}

function hmac(body: Buffer): string {
  return createHmac('sha256', SECRET).update(body).digest('hex');
}

const headerName = fc.oneof(
  fc.constantFrom(
    ...Object.values(AUTH).flatMap((a) => [a.header, a.header.toLowerCase(), a.event]),
    'X-GitHub-Delivery',
    'X-Forgejo-Signature',
    'Idempotency-Key',
    'content-type',
    '__proto__',
    'constructor',
  ),
  fc.string({ maxLength: 20 }),
);
const headerValue = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.constantFrom(...PUSH_EVENTS, 'application/x-www-form-urlencoded', 'sha256=', `sha256=${'0'.repeat(64)}`),
  fc.stringMatching(/^sha256=[0-9a-fA-F]{0,70}$/),
  fc.array(fc.string({ maxLength: 20 }), { maxLength: 3 }),
  fc.constant(undefined),
);
const headers = fc.dictionary(headerName, headerValue, { maxKeys: 8 });

const FIELDS = [
  'ref',
  'before',
  'after',
  'commits',
  'push',
  'repository',
  'pusher',
  'sender',
  'project',
  'actor',
];
const anyValue = fc.oneof(
  fc.constant(null),
  fc.anything(),
  fc.array(
    fc.dictionary(
      fc.constantFrom('added', 'modified', 'removed', 'new', 'old', 'target', 'hash', 'type', 'name'),
      fc.anything(),
    ),
  ),
);

/** The provider's own push with some fields replaced by anything: once signed, it reaches normalization. */
function pushLike(provider: Provider) {
  const base = fixture(provider);
  return fc
    .dictionary(fc.constantFrom(...FIELDS, ...Object.keys(base)), anyValue, { maxKeys: 3 })
    .map((overrides) => Buffer.from(JSON.stringify({ ...base, ...overrides })));
}

function bodies(provider: Provider) {
  return fc.oneof(
    fc.uint8Array({ maxLength: MAX + 64 }).map((bytes) => Buffer.from(bytes)),
    fc.json().map((text) => Buffer.from(text)),
    { arbitrary: pushLike(provider), weight: 4 },
  );
}

function check(provider: Provider, request: WebhookRequest): void {
  const verifier = createWebhookVerifier({ provider, secret: SECRET, maxBodyBytes: MAX });
  const result = verifier.verify(request);
  expect(STATUSES).toContain(result.status);
  if ('reason' in result) {
    expect(result.reason).not.toBe(UNEXPECTED_REASON);
    expect(result.reason).not.toMatch(/[\n\r]/);
  }
}

describe.each(PROVIDERS)('verify (%s) under fuzzing', (provider) => {
  it('never throws and answers 200/202/400/401/413 to random bodies and garbled headers', () => {
    fc.assert(
      fc.property(bodies(provider), headers, fc.boolean(), (raw, hs, base64) => {
        check(provider, {
          headers: hs,
          body: base64 ? Buffer.from(raw.toString('base64')) : raw,
          isBase64Encoded: base64,
        });
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on correctly signed random bodies and push-shaped payloads, which reach the parser', () => {
    const auth = AUTH[provider];
    const event = fc.oneof({ arbitrary: fc.constant(auth.push), weight: 4 }, fc.constantFrom(...PUSH_EVENTS));
    fc.assert(
      fc.property(bodies(provider), headers, event, (raw, hs, event) => {
        check(provider, {
          headers: { ...hs, [auth.header.toLowerCase()]: auth.value(raw), [auth.event.toLowerCase()]: event },
          body: raw,
        });
      }),
      { numRuns: 500 },
    );
  });
});
