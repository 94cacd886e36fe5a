import {
  createStateTable,
  DynamoDbDeliveryDedupe,
  DynamoDbInventoryStore,
  DynamoDbSyncClaims,
} from '../../../lib/adapters/aws/state-dynamodb';
import { InventoryBusyError } from '../../../lib/core/inventory';
import { useDynamoDbLocal } from '../../helpers/dynamodb';

const dynamo = useDynamoDbLocal();

describe('DynamoDB state table', () => {
  let table = '';
  // A day ahead of the real clock: DynamoDB Local's TTL sweeper deletes items whose ttl has passed
  // by the real clock, so a fixed date in the past made the claims vanish under the test.
  let now = Date.now() + 24 * 3600 * 1000;
  beforeAll(async () => {
    table = `state-${process.pid}`;
    expect(await createStateTable(dynamo.client(), table)).toBe(true);
    expect(await createStateTable(dynamo.client(), table)).toBe(false);
  });
  const options = () => ({ tableName: table, client: dynamo.client(), now: () => now });

  it('keeps an inventory of 10,000 objects per app and cluster', async () => {
    const store = new DynamoDbInventoryStore(options(), 'prod');
    expect(await store.load('web')).toBeUndefined();
    const ids = Array.from({ length: 10_000 }, (_, i) => ({
      group: 'apps',
      kind: 'Deployment',
      namespace: `ns-${i % 10}`,
      name: `deployment-number-${i}`,
    }));
    const inventory = { entries: ids.map((id) => ({ id, origin: 'created' as const })) };
    const revision = await store.save('web', 'web', inventory, { dryRun: false, expected: undefined });
    const loaded = await store.load('web');
    expect(loaded?.inventory.entries).toHaveLength(10_000);
    expect(loaded?.revision).toBe(revision);
    expect(new Set(loaded?.inventory.entries.map((e) => e.id.name))).toEqual(
      new Set(ids.map((id) => id.name)),
    );
    expect(await new DynamoDbInventoryStore(options(), 'staging').load('web')).toBeUndefined();
    await store.save('web', 'web', { entries: [] }, { dryRun: true, expected: revision });
    expect((await store.load('web'))?.inventory.entries).toHaveLength(10_000);
  });

  it('reads an inventory written before origins (version 1, no rev) as created, and writes it conditionally', async () => {
    const { PutCommand } = await import('@aws-sdk/lib-dynamodb');
    const { DynamoDBDocumentClient } = await import('@aws-sdk/lib-dynamodb');
    const { gzipSync } = await import('node:zlib');
    await DynamoDBDocumentClient.from(dynamo.client()).send(
      new PutCommand({
        TableName: table,
        Item: {
          pk: 'CLUSTER#legacy',
          sk: 'INVENTORY#web',
          version: '1',
          objectsGz: gzipSync(Buffer.from('/ConfigMap/web/a\napps/Deployment/web/b')),
        },
      }),
    );
    const store = new DynamoDbInventoryStore(options(), 'legacy');
    const loaded = await store.load('web');
    expect(loaded?.revision).toBe('0');
    expect(loaded?.inventory.entries.map((e) => e.origin)).toEqual(['created', 'created']);
    const next = {
      entries: [
        { id: { group: '', kind: 'ConfigMap', namespace: 'web', name: 'a' }, origin: 'adopted' as const },
      ],
    };
    // A writer that read before this one wrote loses, and writes nothing.
    expect(await store.save('web', 'web', next, { dryRun: false, expected: '0' })).toBe('1');
    await expect(store.save('web', 'web', next, { dryRun: false, expected: '0' })).rejects.toThrow(
      InventoryBusyError,
    );
    await expect(store.save('web', 'web', next, { dryRun: false, expected: undefined })).rejects.toThrow(
      InventoryBusyError,
    );
    expect((await store.load('web'))?.inventory).toEqual(next);
    await expect(store.remove('web', 'web', { dryRun: false, expected: '0' })).rejects.toThrow(
      InventoryBusyError,
    );
    await store.remove('web', 'web', { dryRun: false, expected: '1' });
    expect(await store.load('web')).toBeUndefined();
  });

  it('refuses a hand-edited inventory item that inflates past its bound, naming the bound', async () => {
    const { PutCommand, DynamoDBDocumentClient } = await import('@aws-sdk/lib-dynamodb');
    const { gzipSync } = await import('node:zlib');
    // 100 MiB of one byte is about 100 KB gzipped: it fits an item; inflated, a Lambda's memory would not hold many.
    const bomb = gzipSync(Buffer.alloc(100 * 1024 * 1024, 0x61), { level: 9 });
    expect(bomb.length).toBeLessThan(400 * 1024);
    await DynamoDBDocumentClient.from(dynamo.client()).send(
      new PutCommand({
        TableName: table,
        Item: { pk: 'CLUSTER#bomb', sk: 'INVENTORY#web', version: '3', objectsGz: bomb, rev: 1 },
      }),
    );
    const error = await new DynamoDbInventoryStore(options(), 'bomb').load('web').then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    // Refused while inflating: the message is one short line, not the inflated text.
    expect(error?.message).toMatch(
      /^the inventory of app web on cluster bomb cannot be read \(.*\); nothing was applied/,
    );
    expect(error?.message.length).toBeLessThan(1000);
  });

  it('deduplicates webhook deliveries until their TTL passes', async () => {
    const dedupe = new DynamoDbDeliveryDedupe(options());
    expect(await dedupe.firstSeen('webhook#github#abc', 3600)).toBe(true);
    expect(await dedupe.firstSeen('webhook#github#abc', 3600)).toBe(false);
    expect(await dedupe.firstSeen('webhook#github#def', 3600)).toBe(true);
    now += 3601 * 1000;
    expect(await dedupe.firstSeen('webhook#github#abc', 3600)).toBe(true);
  });

  it('forgets the delivery claim it made, so a retry of the delivery is first again (#7)', async () => {
    const dedupe = new DynamoDbDeliveryDedupe(options());
    expect(await dedupe.firstSeen('webhook#github#retry-1', 3600)).toBe(true);
    expect(await dedupe.forget('webhook#github#retry-1')).toBe(true);
    expect(await dedupe.forget('webhook#github#retry-1')).toBe(false);
    // Another container takes the retry.
    const other = new DynamoDbDeliveryDedupe(options());
    expect(await other.firstSeen('webhook#github#retry-1', 3600)).toBe(true);
    expect(await other.firstSeen('webhook#github#retry-1', 3600)).toBe(false);
  });

  it('keeps its own live claim for longer, and no other (#7)', async () => {
    const dedupe = new DynamoDbDeliveryDedupe(options());
    expect(await dedupe.firstSeen('webhook#github#keep-1', 60)).toBe(true);
    expect(await dedupe.keep('webhook#github#keep-1', 3600)).toBe(true);
    now += 120 * 1000; // past the first minute: the kept claim still holds
    expect(await new DynamoDbDeliveryDedupe(options()).firstSeen('webhook#github#keep-1', 60)).toBe(false);
    expect(await new DynamoDbDeliveryDedupe(options()).keep('webhook#github#keep-1', 3600)).toBe(false);
    // A claim that expired before it was kept is not revived.
    expect(await dedupe.firstSeen('webhook#github#keep-2', 60)).toBe(true);
    now += 61 * 1000;
    expect(await dedupe.keep('webhook#github#keep-2', 3600)).toBe(false);
  });

  it('does not forget a claim another instance made', async () => {
    const first = new DynamoDbDeliveryDedupe(options());
    const second = new DynamoDbDeliveryDedupe(options());
    expect(await first.firstSeen('webhook#github#mine', 3600)).toBe(true);
    expect(await second.firstSeen('webhook#github#mine', 3600)).toBe(false);
    expect(await second.forget('webhook#github#mine')).toBe(false);
    expect(await first.firstSeen('webhook#github#mine', 3600)).toBe(false);
  });

  it('leaves a newer claim alone when an expired one it replaced is forgotten', async () => {
    const stale = new DynamoDbDeliveryDedupe(options());
    const fresh = new DynamoDbDeliveryDedupe(options());
    expect(await stale.firstSeen('webhook#github#late', 60)).toBe(true);
    now += 61 * 1000;
    expect(await fresh.firstSeen('webhook#github#late', 3600)).toBe(true);
    expect(await stale.forget('webhook#github#late')).toBe(false);
    expect(await stale.firstSeen('webhook#github#late', 3600)).toBe(false);
    expect(await fresh.forget('webhook#github#late')).toBe(true);
    expect(await stale.firstSeen('webhook#github#late', 3600)).toBe(true);
  });

  it('lets one of two deliveries of the same sync message run, and reports it done afterwards', async () => {
    const claims = new DynamoDbSyncClaims(options());
    const results = await Promise.all([
      claims.claim('prod', 'web', 'c0ffee', 'msg-1', 900),
      claims.claim('prod', 'web', 'c0ffee', 'msg-1', 900),
    ]);
    expect(results.sort()).toEqual(['claimed', 'running']);
    await claims.complete('prod', 'web', 'c0ffee', 'msg-1', 42);
    expect(await claims.claim('prod', 'web', 'c0ffee', 'msg-1', 900)).toBe('done');
    expect(await claims.claim('prod', 'web', 'c0ffee', 'msg-2', 900)).toBe('claimed');
  });

  it('lets a redelivery take over a claim whose lease has passed (the first invocation died)', async () => {
    const claims = new DynamoDbSyncClaims(options());
    expect(await claims.claim('prod', 'api', 'beef', 'msg-9', 60)).toBe('claimed');
    expect(await claims.claim('prod', 'api', 'beef', 'msg-9', 60)).toBe('running');
    now += 61 * 1000;
    expect(await claims.claim('prod', 'api', 'beef', 'msg-9', 60)).toBe('claimed');
  });

  it('releases a running claim after a failed attempt, so the retry runs before the lease ends; never a done one', async () => {
    const claims = new DynamoDbSyncClaims(options());
    expect(await claims.claim('prod', 'api', 'f00d', 'msg-r', 330)).toBe('claimed');
    await claims.release('prod', 'api', 'f00d', 'msg-r');
    expect(await claims.claim('prod', 'api', 'f00d', 'msg-r', 330)).toBe('claimed');
    await claims.complete('prod', 'api', 'f00d', 'msg-r', 7);
    await claims.release('prod', 'api', 'f00d', 'msg-r');
    expect(await claims.claim('prod', 'api', 'f00d', 'msg-r', 330)).toBe('done');
  });
});
