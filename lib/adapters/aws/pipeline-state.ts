import { randomUUID } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type AuditDraft, canonicalJson, normalizeDraft } from '../../core/audit';
import { formatId } from '../../core/manifests/object';
import type {
  InventorySummary,
  KeptDraft,
  LastApplied,
  OrphanState,
  PipelineState,
} from '../../core/pipeline';
import { fitDraft } from './audit-item';
import { DynamoDbInventoryStore, StateTable, type StateTableOptions } from './state-dynamodb';

const pk = (cluster: string): string => `CLUSTER#${cluster}`;
/** What an `ORPHANED#<app>` item holds: the reconcile role may put items with these attributes only. */
export const ORPHANED_ITEM_ATTRIBUTES = ['pk', 'sk', 'inventoryUpdatedAt', 'auditSeq', 'reportedAt'] as const;

/** Kept drafts sort by the time they were kept, then a random suffix (two in one millisecond). */
const outboxPrefix = (app: string): string => `OUTBOX#${app}#`;

/**
 * The sync pipeline's items in the state table, beside the inventories (pk `CLUSTER#<cluster>`):
 * `APPLIED#<app>` the last commit applied (only forward), `OUTBOX#<app>#<time>#<id>` audit drafts
 * whose append failed, `ORPHANED#<app>` an orphaned app already reported.
 */
export class DynamoDbPipelineState extends StateTable implements PipelineState, OrphanState {
  constructor(options: StateTableOptions) {
    super(options);
  }

  async lastApplied(cluster: string, app: string): Promise<LastApplied | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.options.tableName,
        Key: { pk: pk(cluster), sk: `APPLIED#${app}` },
        ConsistentRead: true,
      }),
    );
    if (typeof Item?.commit !== 'string') return undefined;
    return { commit: Item.commit, ...(typeof Item.repo === 'string' ? { repo: Item.repo } : {}) };
  }

  async setLastApplied(cluster: string, app: string, commit: string, repo?: string): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.options.tableName,
        Item: {
          pk: pk(cluster),
          sk: `APPLIED#${app}`,
          commit,
          ...(repo !== undefined ? { repo } : {}),
          updatedAt: new Date(this.now()).toISOString(),
        },
      }),
    );
  }

  async keep(cluster: string, draft: AuditDraft): Promise<void> {
    // Normalised and fitted now, so that the draft kept is one the audit table will take.
    const fitted = fitDraft(cluster, normalizeDraft(draft)).draft;
    const at = new Date(this.now()).toISOString();
    await this.client.send(
      new PutCommand({
        TableName: this.options.tableName,
        Item: {
          pk: pk(cluster),
          sk: `${outboxPrefix(fitted.app)}${at}#${randomUUID()}`,
          draftGz: gzipSync(canonicalJson(fitted)),
        },
      }),
    );
  }

  async kept(cluster: string, app: string): Promise<readonly KeptDraft[]> {
    const items = await this.queryAll(cluster, outboxPrefix(app), undefined);
    return items.map((item) => ({
      key: String(item.sk),
      draft: JSON.parse(gunzipSync(item.draftGz as Uint8Array).toString('utf8')) as AuditDraft,
    }));
  }

  async release(cluster: string, _app: string, key: string): Promise<void> {
    await this.client.send(
      new DeleteCommand({ TableName: this.options.tableName, Key: { pk: pk(cluster), sk: key } }),
    );
  }

  async inventories(cluster: string): Promise<readonly InventorySummary[]> {
    // Only the small attributes: an inventory item holds up to 10,000 gzipped ids.
    const items = await this.queryAll(cluster, 'INVENTORY#', 'sk, #count, updatedAt');
    return items.map((item) => ({
      app: String(item.sk).slice('INVENTORY#'.length),
      ...(typeof item.count === 'number' ? { count: item.count } : {}),
      updatedAt: typeof item.updatedAt === 'string' ? item.updatedAt : '',
    }));
  }

  async objects(cluster: string, app: string): Promise<readonly string[]> {
    const stored = await new DynamoDbInventoryStore(this.options, cluster).load(app);
    return (stored?.inventory.entries ?? []).map((e) => formatId(e.id));
  }

  async reported(cluster: string): Promise<ReadonlyMap<string, string>> {
    const items = await this.queryAll(cluster, 'ORPHANED#', 'sk, inventoryUpdatedAt');
    return new Map(
      items.map((item) => [String(item.sk).slice('ORPHANED#'.length), String(item.inventoryUpdatedAt)]),
    );
  }

  async markReported(
    cluster: string,
    app: string,
    inventoryUpdatedAt: string,
    auditSeq: number,
  ): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.options.tableName,
        Item: {
          pk: pk(cluster),
          sk: `ORPHANED#${app}`,
          inventoryUpdatedAt,
          auditSeq,
          reportedAt: new Date(this.now()).toISOString(),
        },
      }),
    );
  }

  private async queryAll(
    cluster: string,
    prefix: string,
    projection: string | undefined,
  ): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.options.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': pk(cluster), ':prefix': prefix },
          ConsistentRead: true,
          ...(projection
            ? {
                ProjectionExpression: projection,
                ...(projection.includes('#count') ? { ExpressionAttributeNames: { '#count': 'count' } } : {}),
              }
            : {}),
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      items.push(...((out.Items ?? []) as Record<string, unknown>[]));
      start = out.LastEvaluatedKey as Record<string, unknown> | undefined;
    } while (start);
    return items;
  }
}
