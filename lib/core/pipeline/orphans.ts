import type { AuditDraft, AuditStore } from '../audit';
import { countChanges } from '../sync/changeset';
import { appendKeptOfOrphan } from './outbox';
import type { PipelineState } from './ports';

/** An app's inventory in the state table, without its ids. */
export interface InventorySummary {
  readonly app: string;
  /** Objects in it; undefined when the item does not say (then it is read to find out). */
  readonly count?: number;
  /** When the inventory was last saved: a report is made once per saved inventory. */
  readonly updatedAt: string;
}

/** The state table as the orphan check reads it (pk `CLUSTER#<cluster>`). */
export interface OrphanState extends Pick<PipelineState, 'kept'> {
  /** Every app with an inventory on the cluster (sk `INVENTORY#<app>`). */
  inventories(cluster: string): Promise<readonly InventorySummary[]>;
  /** The ids of an app's inventory, formatted. */
  objects(cluster: string, app: string): Promise<readonly string[]>;
  /** Apps already reported as orphaned, with the inventory's updatedAt they were reported for. */
  reported(cluster: string): Promise<ReadonlyMap<string, string>>;
  markReported(cluster: string, app: string, inventoryUpdatedAt: string, auditSeq: number): Promise<void>;
}

export interface OrphanPorts {
  readonly state: OrphanState;
  readonly audit: AuditStore;
  readonly warn: (message: string, attributes: Record<string, unknown>) => void;
}

export interface OrphanReport {
  readonly cluster: string;
  readonly app: string;
  readonly objects: number;
  readonly auditSeq: number;
}

/**
 * Apps removed from plumbline.yaml (#14): an inventory in the state table whose app no repository
 * declares for that cluster any more. Each gets one audit record, outcome `orphaned`, listing its
 * objects, which are left in place (`plumbline prune-app` removes them). Reported once per saved
 * inventory, not on every tick. `declared` must come from every repository of the deployment: an
 * app of a repository that could not be read would look orphaned.
 */
export async function reportOrphans(
  ports: OrphanPorts,
  declared: ReadonlyMap<string, ReadonlySet<string>>,
  context: { readonly triggerId: string; readonly repo?: string; readonly commit?: string },
): Promise<OrphanReport[]> {
  const reports: OrphanReport[] = [];
  for (const [cluster, apps] of declared) {
    try {
      const [inventories, reported] = await Promise.all([
        ports.state.inventories(cluster),
        ports.state.reported(cluster),
      ]);
      for (const inventory of inventories) {
        if (apps.has(inventory.app) || inventory.count === 0) continue;
        if (reported.get(inventory.app) === inventory.updatedAt) continue;
        const ids = await ports.state.objects(cluster, inventory.app);
        if (ids.length === 0) continue;
        // Records kept when an append failed wait for the app's next job, which will not come.
        const kept = await appendKeptOfOrphan(ports.audit, ports.state, cluster, inventory.app);
        if (kept.length > 0)
          ports.warn('kept audit records of an orphaned app appended', {
            cluster,
            app: inventory.app,
            auditSeqs: kept,
          });
        const draft: AuditDraft = {
          app: inventory.app,
          ...(context.repo !== undefined ? { repo: context.repo } : {}),
          ...(context.commit !== undefined ? { commit: context.commit } : {}),
          trigger: 'schedule',
          deliveryId: context.triggerId,
          outcome: 'orphaned',
          who: {},
          ts: new Date().toISOString(),
          durationMs: 0,
          reason: `app ${inventory.app} is no longer declared for cluster ${cluster}; its ${ids.length} objects are left in place, and plumbline prune-app removes them`,
          changes: ids.map((id) => ({ id, action: 'skipped', reason: 'orphaned: left in place' })),
          counts: { ...countChanges([]), skipped: ids.length },
        };
        const record = await ports.audit.append(cluster, draft);
        await ports.state.markReported(cluster, inventory.app, inventory.updatedAt, record.seq);
        ports.warn('app orphaned: no longer declared, its objects are left in place', {
          cluster,
          app: inventory.app,
          objects: ids.length,
          auditSeq: record.seq,
        });
        reports.push({ cluster, app: inventory.app, objects: ids.length, auditSeq: record.seq });
      }
    } catch (err: unknown) {
      // The next tick tries again: nothing was marked reported for what failed.
      const error = (err instanceof Error ? `${err.name}: ${err.message}` : String(err)).split('\n')[0];
      ports.warn('orphaned apps not checked', { cluster, error });
    }
  }
  return reports;
}
