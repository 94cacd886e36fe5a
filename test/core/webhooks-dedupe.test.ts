import { createHmac } from 'node:crypto';
import {
  createWebhookVerifier,
  type DeliveryDedupe,
  dedupeKey,
  InMemoryDedupe,
  receiveWebhook,
  type WebhookRequest,
} from '../../lib/core/webhooks';
import { readFixture } from '../helpers/fixtures';

describe('InMemoryDedupe', () => {
  it('sees a key first once, then not again until it expires', async () => {
    let now = 1_000_000;
    const dedupe = new InMemoryDedupe({ now: () => now });
    expect(await dedupe.firstSeen('a', 60)).toBe(true);
    expect(await dedupe.firstSeen('a', 60)).toBe(false);
    now += 59_999;
    expect(await dedupe.firstSeen('a', 60)).toBe(false);
    now += 1;
    expect(await dedupe.firstSeen('a', 60)).toBe(true);
  });

  it('keeps at most maxEntries keys, forgetting the oldest first', async () => {
    const dedupe = new InMemoryDedupe({ maxEntries: 3 });
    for (const key of ['a', 'b', 'c', 'd']) expect(await dedupe.firstSeen(key, 60)).toBe(true);
    expect(dedupe.size).toBe(3);
    expect(await dedupe.firstSeen('d', 60)).toBe(false);
    expect(await dedupe.firstSeen('a', 60)).toBe(true);
  });

  it('forgets a claimed key, so its next delivery counts as first (#7)', async () => {
    const dedupe = new InMemoryDedupe();
    expect(await dedupe.firstSeen('a', 60)).toBe(true);
    expect(await dedupe.firstSeen('b', 60)).toBe(true);
    expect(await dedupe.forget('a')).toBe(true);
    expect(dedupe.size).toBe(1);
    expect(await dedupe.firstSeen('a', 60)).toBe(true);
    expect(await dedupe.firstSeen('a', 60)).toBe(false);
    expect(await dedupe.firstSeen('b', 60)).toBe(false);
  });

  it('reports false when there is no live claim to forget', async () => {
    let now = 0;
    const dedupe = new InMemoryDedupe({ now: () => now });
    expect(await dedupe.forget('never')).toBe(false);
    await dedupe.firstSeen('a', 1);
    expect(await dedupe.forget('a')).toBe(true);
    expect(await dedupe.forget('a')).toBe(false);
    await dedupe.firstSeen('b', 1);
    now = 5_000;
    expect(await dedupe.forget('b')).toBe(false);
    expect(dedupe.size).toBe(0);
  });

  it('drops expired keys as new ones arrive', async () => {
    let now = 0;
    const dedupe = new InMemoryDedupe({ now: () => now });
    for (let i = 0; i < 100; i++) await dedupe.firstSeen(`k${i}`, 1);
    now = 5_000;
    await dedupe.firstSeen('fresh', 1);
    expect(dedupe.size).toBe(1);
  });
});

describe('receiveWebhook', () => {
  const secret = 'dedupe-secret';
  const verifier = createWebhookVerifier({ provider: 'github', secret });
  const body = Buffer.from(readFixture('webhooks', 'github-push.json'));
  const signature = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
  const request = (signatureValue = signature): WebhookRequest => ({
    headers: {
      'x-hub-signature-256': signatureValue,
      'x-github-event': 'push',
      'x-github-delivery': 'abc-1',
    },
    body,
  });

  it('claims a delivery id only after the signature holds, so a forgery cannot burn it', async () => {
    const dedupe = new InMemoryDedupe();
    const forged = await receiveWebhook(request(`sha256=${'0'.repeat(64)}`), { verifier, dedupe });
    expect(forged.status).toBe(401);
    expect(dedupe.size).toBe(0);
    expect((await receiveWebhook(request(), { verifier, dedupe })).status).toBe(202);
  });

  it('keys deliveries by provider and delivery id, with the TTL given', async () => {
    const calls: [string, number][] = [];
    const dedupe: DeliveryDedupe = {
      firstSeen: async (key, ttl) => {
        calls.push([key, ttl]);
        return true;
      },
      forget: async () => false,
      keep: async () => true,
    };
    await receiveWebhook(request(), { verifier, dedupe, ttlSeconds: 3600 });
    expect(calls).toEqual([[dedupeKey({ provider: 'github', deliveryId: 'abc-1' }), 3600]]);
    expect(calls[0]![0]).toBe('webhook#github#abc-1');
  });

  it('does not dedupe pings and ignored events', async () => {
    const dedupe = new InMemoryDedupe();
    const ping = { ...request(), headers: { ...request().headers, 'x-github-event': 'ping' } };
    await receiveWebhook(ping, { verifier, dedupe });
    expect(dedupe.size).toBe(0);
  });
});
