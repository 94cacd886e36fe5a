import { compareDeclared, type FieldDiff, ownedFieldsMissing } from '../drift';
import { formatId, idOf, type ObjectId, subjectOf } from '../manifests';
import { Redactor, redactDiffs, secretValuesOf } from '../redact';
import type { RenderedManifest } from '../render';
import { plumblineFields } from './apply-object';
import { type DesiredObject, type DesiredOptions, prepareDesired } from './desired';
import { type SecretsConfig, withSecrets } from './engine';
import { finishedByTtl, idSet } from './finished-jobs';
import { LiveState, listTargets } from './live';
import { asStored } from './normalize';
import type { ClusterPort, InventoryStore, ResourceInfo } from './ports';
import { outsideAllowList } from './prune-plan';

export interface Inspection {
  readonly desired: DesiredObject[];
  readonly live: LiveState;
  readonly previous: ObjectId[] | undefined;
  /** Inventory ids the app adopted: prune keeps them unless told (prune-plan.ts). */
  readonly adopted?: ReadonlySet<string>;
  readonly redactor: Redactor;
}

/**
 * Reads what drift and diff compare: the desired state and the live objects of the app and its
 * inventory, with one label-selected list per (kind, namespace). Reads only.
 */
export async function inspectApp(
  manifests: readonly RenderedManifest[],
  cluster: ClusterPort,
  inventory: InventoryStore,
  options: DesiredOptions & { readonly concurrency: number; readonly secrets?: SecretsConfig },
): Promise<Inspection> {
  const redactor = new Redactor();
  for (const m of manifests) for (const v of secretValuesOf(m.object)) redactor.register(v);
  const desired = await withSecrets(
    await prepareDesired(manifests, cluster, options),
    options.secrets,
    redactor,
  );
  const stored = (await inventory.load(options.app, options.namespace))?.inventory.entries;
  // Ids the allow-list no longer covers are not read (the credentials may not reach them), nor shown pruned.
  const inside = stored?.filter((e) => outsideAllowList(e.id, options.allow) === undefined);
  const previous = inside?.map((e) => e.id);
  const adopted = new Set(inside?.flatMap((e) => (e.origin === 'adopted' ? [formatId(e.id)] : [])));
  const entries: { resource: ResourceInfo; id: ObjectId }[] = [];
  for (const d of desired) {
    const resource = await cluster.resource(d.object.apiVersion, d.object.kind);
    if (resource) entries.push({ resource, id: d.id });
  }
  for (const id of previous ?? []) {
    const resource = await cluster.resourceFor(id.group, id.kind);
    if (resource) entries.push({ resource, id });
  }
  const live = await LiveState.read(cluster, listTargets(entries), options.app, options.concurrency);
  return { desired, live, previous, adopted, redactor };
}

export interface DriftEntry {
  readonly id: string;
  readonly subject: string;
  readonly reason: 'missing' | 'changed';
  readonly fields: FieldDiff[];
}

export interface DriftReport {
  readonly app: string;
  readonly drifted: DriftEntry[];
  readonly orphans: { readonly id: string; readonly subject: string }[];
}

/**
 * Detect-only drift: a declared field with another value live (whoever changed it) or a
 * missing object; labelled objects the inventory does not hold are orphans.
 */
export function detectDrift(app: string, inspection: Inspection): DriftReport {
  const drifted: DriftEntry[] = [];
  const previous = idSet(inspection.previous);
  for (const d of inspection.desired) {
    const live = inspection.live.get(d.id);
    const base = { id: formatId(d.id), subject: subjectOf(d.id) };
    if (finishedByTtl(d, live, previous)) continue;
    if (!live) {
      drifted.push({ ...base, reason: 'missing', fields: [] });
      continue;
    }
    const fields = compareDeclared(asStored(d.object), live);
    if (fields.length > 0)
      drifted.push({ ...base, reason: 'changed', fields: redactDiffs(d.object, fields) });
  }
  const known = new Set(
    [...(inspection.previous ?? []), ...inspection.desired.map((d) => d.id)].map(formatId),
  );
  const orphans = inspection.live
    .all()
    .map(idOf)
    .filter((id) => !known.has(formatId(id)))
    .map((id) => ({ id: formatId(id), subject: subjectOf(id) }));
  return { app, drifted, orphans };
}

export interface DiffEntry {
  readonly id: string;
  readonly subject: string;
  readonly action: 'create' | 'configure' | 'delete';
  readonly fields: FieldDiff[];
  /** Fields Plumbline owns that Git dropped: the apply removes them. */
  readonly removes: string[];
}

/** What a sync would change, computed from the same reads as drift (no dry-run writes). */
export function planDiff(inspection: Inspection, prune: boolean): DiffEntry[] {
  const out: DiffEntry[] = [];
  const previous = idSet(inspection.previous);
  for (const d of inspection.desired) {
    const live = inspection.live.get(d.id);
    const base = { id: formatId(d.id), subject: subjectOf(d.id) };
    if (finishedByTtl(d, live, previous)) continue;
    if (!live) {
      out.push({ ...base, action: 'create', fields: [], removes: [] });
      continue;
    }
    const fields = redactDiffs(d.object, compareDeclared(asStored(d.object), live));
    const owned = plumblineFields(live);
    const removes = owned === undefined ? [] : ownedFieldsMissing(owned, d.object);
    if (fields.length > 0 || removes.length > 0) out.push({ ...base, action: 'configure', fields, removes });
  }
  if (prune) {
    const desired = new Set(inspection.desired.map((d) => formatId(d.id)));
    for (const id of inspection.previous ?? []) {
      if (!desired.has(formatId(id)) && inspection.live.get(id) && !inspection.adopted?.has(formatId(id))) {
        out.push({ id: formatId(id), subject: subjectOf(id), action: 'delete', fields: [], removes: [] });
      }
    }
  }
  return out;
}
