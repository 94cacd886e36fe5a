import { randomUUID } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DynamoDBClient,
  type DynamoDBClientConfig,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  decodeInventory,
  encodeInventory,
  type Inventory,
  InventoryBusyError,
  InventoryError,
  type StoredInventory,
} from '../../core/inventory';
import type { InventoryStore } from '../../core/sync';
import type { DeliveryDedupe } from '../../core/webhooks';

export interface StateTableOptions {
  readonly tableName: string;
  readonly client?: DynamoDBClient;
  readonly clientConfig?: DynamoDBClientConfig;
  readonly now?: () => number;
}

/** Creates the state table (pk, sk, TTL on `ttl`) for tests and local mode; false when it exists. */
export async function createStateTable(client: DynamoDBClient, name: string): Promise<boolean> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      }),
    );
  } catch (err: unknown) {
    if (err instanceof ResourceInUseException) return false;
    throw err;
  }
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: name,
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
    }),
  );
  return true;
}

export class StateTable {
  private doc: DynamoDBDocumentClient | undefined;
  constructor(protected readonly options: StateTableOptions) {}

  protected get client(): DynamoDBDocumentClient {
    this.doc ??= DynamoDBDocumentClient.from(
      this.options.client ?? new DynamoDBClient(this.options.clientConfig ?? {}),
      {
        marshallOptions: { removeUndefinedValues: true },
      },
    );
    return this.doc;
  }

  protected now(): number {
    return this.options.now?.() ?? Date.now();
  }
}

/**
 * The inventory of each app in DynamoDB, for the Lambda functions (the CLI keeps it in a
 * ConfigMap): pk `CLUSTER#<cluster>`, sk `INVENTORY#<app>`; the lines gzipped, so 10,000 objects
 * fit an item. The app's namespace is not part of the key: an app has one inventory per cluster.
 * `rev` counts writes; each write is conditional on the one read (items written before it have none).
 */
/** A bound on what a stored inventory may decompress to (a hand-edited item included), as for the ConfigMap. */
const MAX_INFLATED_BYTES = 64 * 1024 * 1024;

export class DynamoDbInventoryStore extends StateTable implements InventoryStore {
  constructor(
    options: StateTableOptions,
    private readonly cluster: string,
  ) {
    super(options);
  }

  private key(app: string): { pk: string; sk: string } {
    return { pk: `CLUSTER#${this.cluster}`, sk: `INVENTORY#${app}` };
  }

  async load(app: string): Promise<StoredInventory | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.options.tableName, Key: this.key(app), ConsistentRead: true }),
    );
    if (!Item) return undefined;
    try {
      const objects = gunzipSync(Buffer.from(Item.objectsGz as Uint8Array), {
        maxOutputLength: MAX_INFLATED_BYTES,
      }).toString('utf8');
      const inventory = decodeInventory({
        version: String(Item.version),
        objects,
        ...(typeof Item.lease === 'string' ? { lease: Item.lease } : {}),
      });
      return { inventory, revision: String(typeof Item.rev === 'number' ? Item.rev : 0) };
    } catch (err: unknown) {
      throw new InventoryError(
        `the inventory of app ${app} on cluster ${this.cluster} cannot be read (${err instanceof Error ? err.message : String(err)}); nothing was applied or pruned`,
        { cause: err },
      );
    }
  }

  async save(
    app: string,
    _namespace: string,
    inventory: Inventory,
    options: { readonly dryRun: boolean; readonly expected: string | undefined },
  ): Promise<string> {
    const rev = options.expected === undefined ? 1 : Number(options.expected) + 1;
    if (options.dryRun) return String(rev);
    const { objects = '', version, lease } = encodeInventory(inventory);
    await this.conditional(app, options.expected, (condition) =>
      this.client.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: {
            ...this.key(app),
            version,
            objectsGz: gzipSync(Buffer.from(objects, 'utf8')),
            ...(lease ? { lease } : {}),
            count: inventory.entries.length,
            rev,
            updatedAt: new Date(this.now()).toISOString(),
          },
          ...condition,
        }),
      ),
    );
    return String(rev);
  }

  async remove(
    app: string,
    _namespace: string,
    options: { readonly dryRun: boolean; readonly expected: string },
  ): Promise<void> {
    if (options.dryRun) return;
    await this.conditional(app, options.expected, (condition) =>
      this.client.send(
        new DeleteCommand({ TableName: this.options.tableName, Key: this.key(app), ...condition }),
      ),
    );
    // The app's tenure on the cluster ends with its inventory: its last applied commit and the
    // repository that holds its name go too, so another repository may take the name.
    await this.client.send(
      new DeleteCommand({
        TableName: this.options.tableName,
        Key: { pk: this.key(app).pk, sk: `APPLIED#${app}` },
      }),
    );
  }

  private async conditional(
    app: string,
    expected: string | undefined,
    write: (condition: {
      ConditionExpression: string;
      ExpressionAttributeValues?: Record<string, unknown>;
    }) => Promise<unknown>,
  ): Promise<void> {
    const condition =
      expected === undefined
        ? { ConditionExpression: 'attribute_not_exists(pk)' }
        : expected === '0'
          ? { ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(rev)' }
          : { ConditionExpression: 'rev = :rev', ExpressionAttributeValues: { ':rev': Number(expected) } };
    try {
      await write(condition);
    } catch (err: unknown) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      throw new InventoryBusyError(
        `the inventory of app ${app} on cluster ${this.cluster} changed since this sync read it: another sync of the app is running; nothing more was written`,
        { cause: err },
      );
    }
  }
}

/** Claims one dedupe instance remembers for `forget`; a handler forgets within its own invocation. */
const REMEMBERED_CLAIMS = 1000;

/**
 * Webhook delivery dedupe with a TTL: a conditional put that succeeds for the first delivery of
 * a key and for one whose earlier record has expired (DynamoDB deletes expired items lazily).
 * Each claim carries a random `claimId`, so `forget` deletes the claim this instance made and never
 * a later one that replaced it (#7).
 */
export class DynamoDbDeliveryDedupe extends StateTable implements DeliveryDedupe {
  /** Key → claimId of the claims this instance made, oldest first. */
  private readonly claims = new Map<string, string>();

  private key(key: string): { pk: string; sk: string } {
    return { pk: `DELIVERY#${key}`, sk: 'DELIVERY' };
  }

  async firstSeen(key: string, ttlSeconds: number): Promise<boolean> {
    const nowSeconds = Math.floor(this.now() / 1000);
    const claimId = randomUUID();
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: { ...this.key(key), ttl: nowSeconds + ttlSeconds, claimId },
          ConditionExpression: 'attribute_not_exists(pk) OR #ttl < :now',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: { ':now': nowSeconds },
        }),
      );
    } catch (err: unknown) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
    this.claims.delete(key);
    this.claims.set(key, claimId);
    for (const oldest of this.claims.keys()) {
      if (this.claims.size <= REMEMBERED_CLAIMS) break;
      this.claims.delete(oldest);
    }
    return true;
  }

  async keep(key: string, ttlSeconds: number): Promise<boolean> {
    const claimId = this.claims.get(key);
    if (claimId === undefined) return false;
    const nowSeconds = Math.floor(this.now() / 1000);
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: this.key(key),
          UpdateExpression: 'SET #ttl = :ttl',
          ConditionExpression: 'claimId = :claimId AND #ttl >= :now',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: {
            ':ttl': nowSeconds + ttlSeconds,
            ':claimId': claimId,
            ':now': nowSeconds,
          },
        }),
      );
    } catch (err: unknown) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      this.claims.delete(key);
      return false;
    }
    return true;
  }

  async forget(key: string): Promise<boolean> {
    const claimId = this.claims.get(key);
    if (claimId === undefined) return false;
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.options.tableName,
          Key: this.key(key),
          ConditionExpression: 'claimId = :claimId',
          ExpressionAttributeValues: { ':claimId': claimId },
        }),
      );
    } catch (err: unknown) {
      // Any other failure keeps the claim remembered: a caller may try again.
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      this.claims.delete(key);
      return false;
    }
    this.claims.delete(key);
    return true;
  }
}

export type SyncClaim = 'claimed' | 'done' | 'running';

/**
 * Idempotent syncs (#6): a queue message delivered twice must apply once and write one audit
 * record. The first delivery claims (cluster, app, commit, trigger id); a redelivery finds it
 * `running` (another invocation holds it, until its lease passes) or `done`.
 */
export class DynamoDbSyncClaims extends StateTable {
  private key(cluster: string, app: string, commit: string, triggerId: string): { pk: string; sk: string } {
    return { pk: `SYNC#${cluster}#${app}`, sk: `${commit}#${triggerId}` };
  }

  async claim(
    cluster: string,
    app: string,
    commit: string,
    triggerId: string,
    leaseSeconds: number,
  ): Promise<SyncClaim> {
    const nowSeconds = Math.floor(this.now() / 1000);
    const key = this.key(cluster, app, commit, triggerId);
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: {
            ...key,
            state: 'running',
            leaseUntil: nowSeconds + leaseSeconds,
            ttl: nowSeconds + 7 * 86_400,
          },
          // A crashed invocation's claim expires with its lease, so a later redelivery can retry.
          ConditionExpression: 'attribute_not_exists(pk) OR (#state = :running AND leaseUntil < :now)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':running': 'running', ':now': nowSeconds },
        }),
      );
      return 'claimed';
    } catch (err: unknown) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      const { Item } = await this.client.send(
        new GetCommand({ TableName: this.options.tableName, Key: key, ConsistentRead: true }),
      );
      return Item?.state === 'done' ? 'done' : 'running';
    }
  }

  /**
   * Gives up a running claim after a failed attempt, so the retry that SQS delivers in 30 seconds is
   * not refused as busy until the lease (the whole invocation's time) runs out.
   */
  async release(cluster: string, app: string, commit: string, triggerId: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.options.tableName,
          Key: this.key(cluster, app, commit, triggerId),
          ConditionExpression: '#state = :running',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':running': 'running' },
        }),
      );
    } catch (err: unknown) {
      // Already done (or gone): nothing to release.
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
    }
  }

  async complete(
    cluster: string,
    app: string,
    commit: string,
    triggerId: string,
    auditSeq: number | undefined,
  ): Promise<void> {
    const nowSeconds = Math.floor(this.now() / 1000);
    await this.client.send(
      new PutCommand({
        TableName: this.options.tableName,
        Item: {
          ...this.key(cluster, app, commit, triggerId),
          state: 'done',
          auditSeq,
          ttl: nowSeconds + 7 * 86_400,
        },
      }),
    );
  }
}
