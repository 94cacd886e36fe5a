import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import {
  AuditContentionError,
  type AuditDraft,
  type AuditMac,
  type AuditQuery,
  type AuditRecord,
  type AuditStore,
  type ChainHead,
  normalizeDraft,
  recordMacMessage,
  type ScanOptions,
  sealRecord,
  validateCluster,
} from '../../core/audit';
import { AuditStoreError, AuditTableNotFoundError } from './audit-errors';
import { appKeyOf, decodeItem, encodeItem, fitDraft, ITEM_LIMIT_BYTES, type Item, pkOf } from './audit-item';
import { AUDIT_INDEX_BY_APP, AUDIT_INDEX_BY_COMMIT } from './audit-table';

export interface DynamoDbAuditStoreOptions {
  readonly tableName: string;
  /** A client to use (tests, a custom endpoint); otherwise one is built on first use from clientConfig. */
  readonly client?: DynamoDBClient;
  readonly clientConfig?: DynamoDBClientConfig;
  /** Authenticates each record (ADR 0018); without it records carry no MAC and verify rejects them. */
  readonly mac?: AuditMac;
  /** Attempts to claim the next seq before AuditContentionError (default 30). */
  readonly maxAttempts?: number;
  readonly itemLimitBytes?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

const DEFAULT_LIMIT = 100;
/** Records written this long after their ts still show in a `since` query (a sync's ts is its start). */
const SINCE_SLACK_MS = 60 * 60 * 1000;

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The audit trail in DynamoDB (layout in audit-item.ts). append claims seq n+1 with a conditional
 * put (`attribute_not_exists`), so two writers can never both write one seq: the chain cannot fork.
 * Appends of one store instance to one cluster are serialised in process, so only separate
 * processes race; a loser re-reads the head and tries again, a bounded number of times.
 */
export class DynamoDbAuditStore implements AuditStore {
  private docClient: DynamoDBDocumentClient | undefined;
  private ownClient: DynamoDBClient | undefined;
  private readonly heads = new Map<string, ChainHead>();
  private readonly tails = new Map<string, Promise<unknown>>();

  constructor(private readonly options: DynamoDbAuditStoreOptions) {}

  private get doc(): DynamoDBDocumentClient {
    if (!this.docClient) {
      const client = this.options.client ?? new DynamoDBClient(this.options.clientConfig ?? {});
      if (!this.options.client) this.ownClient = client;
      this.docClient = DynamoDBDocumentClient.from(client, {
        marshallOptions: { removeUndefinedValues: true },
      });
    }
    return this.docClient;
  }

  /** Releases the client this store built (an injected one is the caller's). */
  close(): void {
    this.ownClient?.destroy();
    this.ownClient = undefined;
    this.docClient = undefined;
  }

  get tableName(): string {
    return this.options.tableName;
  }

  async append(cluster: string, draft: AuditDraft): Promise<AuditRecord> {
    validateCluster(cluster);
    const fitted = fitDraft(cluster, normalizeDraft(draft), this.options.itemLimitBytes ?? ITEM_LIMIT_BYTES);
    return this.serialized(cluster, () => this.claim(cluster, fitted.draft, fitted.compress));
  }

  private serialized<T>(cluster: string, fn: () => Promise<T>): Promise<T> {
    const run = (this.tails.get(cluster) ?? Promise.resolve()).then(fn);
    const tail = run.catch(() => undefined);
    this.tails.set(cluster, tail);
    void tail.then(() => {
      if (this.tails.get(cluster) === tail) this.tails.delete(cluster);
    });
    return run;
  }

  private async claim(cluster: string, draft: AuditDraft, compress: boolean): Promise<AuditRecord> {
    const maxAttempts = this.options.maxAttempts ?? 30;
    const sleep = this.options.sleep ?? defaultSleep;
    const random = this.options.random ?? Math.random;
    let head = this.heads.get(cluster) ?? (await this.readHead(cluster));
    for (let attempt = 1; ; attempt++) {
      const record = await this.sealed(cluster, draft, head);
      const existing = await this.putIfAbsent(encodeItem(record, compress));
      // The slot holds our own record when an SDK retry repeated a put that had succeeded.
      if (existing === undefined || existing === record.hash) return this.wrote(cluster, record);
      this.heads.delete(cluster);
      if (attempt >= maxAttempts)
        throw new AuditContentionError(
          `audit chain of cluster ${cluster}: seq ${record.seq} lost to other writers ${attempt} times`,
        );
      await sleep(random() * Math.min(250, 5 * 2 ** attempt));
      head = await this.readHead(cluster);
      // Without ALL_OLD (older DynamoDB Local), our own retried put shows up as the head.
      if (head?.seq === record.seq && head.hash === record.hash) return this.wrote(cluster, record);
    }
  }

  private async sealed(
    cluster: string,
    draft: AuditDraft,
    head: ChainHead | undefined,
  ): Promise<AuditRecord> {
    const record = sealRecord(cluster, draft, head);
    const mac = this.options.mac;
    return mac ? { ...record, mac: await mac.mac(recordMacMessage(record.hash)) } : record;
  }

  private wrote(cluster: string, record: AuditRecord): AuditRecord {
    this.heads.set(cluster, { seq: record.seq, hash: record.hash });
    return record;
  }

  /** Puts unless the slot is taken; returns the hash of the record in a taken slot. */
  private async putIfAbsent(item: Item): Promise<string | undefined> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk) AND attribute_not_exists(sk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return undefined;
    } catch (err: unknown) {
      if ((err as { name?: unknown } | null)?.name !== 'ConditionalCheckFailedException')
        throw this.wrap('PutItem', err);
      const old = (err as { Item?: Record<string, unknown> }).Item?.hash;
      const hash = typeof old === 'string' ? old : (old as { S?: unknown } | undefined)?.S;
      return typeof hash === 'string' ? hash : '(unknown)';
    }
  }

  private async readHead(cluster: string): Promise<ChainHead | undefined> {
    const record = await this.head(cluster);
    return record ? { seq: record.seq, hash: record.hash } : undefined;
  }

  async head(cluster: string): Promise<AuditRecord | undefined> {
    const out = await this.send({
      TableName: this.options.tableName,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :seq)',
      ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
      ExpressionAttributeValues: { ':pk': pkOf(validateCluster(cluster)), ':seq': 'SEQ#' },
      ScanIndexForward: false,
      Limit: 1,
      ConsistentRead: true,
    });
    const item = out.Items?.[0];
    return item ? decodeItem(item) : undefined;
  }

  async *scan(cluster: string, options: ScanOptions = {}): AsyncIterable<AuditRecord> {
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.send({
        TableName: this.options.tableName,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :seq)',
        ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
        ExpressionAttributeValues: { ':pk': pkOf(validateCluster(cluster)), ':seq': 'SEQ#' },
        ScanIndexForward: true,
        ConsistentRead: true,
        Limit: options.pageSize ?? 500,
        ...(start ? { ExclusiveStartKey: start } : {}),
      });
      for (const item of out.Items ?? []) yield decodeItem(item);
      start = out.LastEvaluatedKey;
    } while (start);
  }

  /** Query, never Scan: by app (byApp), by commit (byCommit) or the cluster's chain, newest first. */
  async query(query: AuditQuery): Promise<AuditRecord[]> {
    const cluster = validateCluster(query.cluster);
    const expr = new Expression();
    const keys: string[] = [];
    const filters: string[] = [];
    let index: string | undefined;
    if (query.app !== undefined) {
      index = AUDIT_INDEX_BY_APP;
      keys.push(expr.compare('appKey', '=', appKeyOf(cluster, query.app)));
      if (query.commit !== undefined) filters.push(expr.compare('commit', '=', query.commit));
    } else if (query.commit !== undefined) {
      index = AUDIT_INDEX_BY_COMMIT;
      keys.push(expr.compare('commit', '=', query.commit));
      filters.push(expr.compare('pk', '=', pkOf(cluster)));
    } else {
      keys.push(expr.compare('pk', '=', pkOf(cluster)));
    }
    // The indexes are sorted by ts; the chain is sorted by seq, where ts can only filter.
    if (query.since !== undefined) (index ? keys : filters).push(expr.compare('ts', '>=', query.since));
    const input: QueryCommandInput = {
      TableName: this.options.tableName,
      ...(index ? { IndexName: index } : {}),
      KeyConditionExpression: keys.join(' AND '),
      ...(filters.length > 0 ? { FilterExpression: filters.join(' AND ') } : {}),
      ExpressionAttributeNames: expr.names,
      ExpressionAttributeValues: expr.values,
      ScanIndexForward: false,
    };
    const stopBefore =
      !index && query.since !== undefined
        ? new Date(Date.parse(query.since) - SINCE_SLACK_MS).toISOString()
        : undefined;
    return this.collect(input, query.limit ?? DEFAULT_LIMIT, filters.length > 0, stopBefore);
  }

  /**
   * Pages through a Query until `limit` records: a filter applies after Limit, so a filtered page may
   * hold fewer. Reading the chain newest first for `since`, it stops at a record older than
   * `stopBefore` rather than reading the whole chain.
   */
  private async collect(
    input: QueryCommandInput,
    limit: number,
    filtered: boolean,
    stopBefore: string | undefined,
  ): Promise<AuditRecord[]> {
    const out: AuditRecord[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.send({
        ...input,
        Limit: filtered ? Math.max(limit, 100) : limit - out.length,
        ...(start ? { ExclusiveStartKey: start } : {}),
      });
      for (const item of page.Items ?? []) {
        if (out.length >= limit) break;
        out.push(decodeItem(item));
      }
      start = page.LastEvaluatedKey;
      const last = page.Items?.at(-1);
      if (stopBefore && typeof last?.ts === 'string' && last.ts < stopBefore) break;
    } while (start && out.length < limit);
    return out;
  }

  private async send(input: QueryCommandInput) {
    try {
      return await this.doc.send(new QueryCommand(input));
    } catch (err: unknown) {
      throw this.wrap('Query', err);
    }
  }

  private wrap(op: string, err: unknown): Error {
    const table = this.options.tableName;
    const name = err instanceof Error ? err.name : 'Error';
    if (name === 'ResourceNotFoundException')
      return new AuditTableNotFoundError(
        `audit table ${table} does not exist (create it with 'plumbline audit init')`,
        { cause: err },
      );
    const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
    return new AuditStoreError(`audit table ${table}: ${op} failed: ${name}: ${message}`, { cause: err });
  }
}

/** Placeholders for attribute names and values (`commit` and `hash` are DynamoDB reserved words). */
class Expression {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, unknown> = {};
  private n = 0;

  compare(attribute: string, op: '=' | '>=', value: unknown): string {
    const i = this.n++;
    this.names[`#a${i}`] = attribute;
    this.values[`:v${i}`] = value;
    return `#a${i} ${op} :v${i}`;
  }
}
