import {
  compareDeclared,
  type FieldDiff,
  type IgnoreRule,
  ownedFieldsMissing,
  withIgnoredFromLive,
} from '../drift';
import { formatId, idOf, type KubeObject, type ObjectId, subjectOf } from '../manifests';
import { planPhases } from '../order';
import { Redactor, redactDiffs, secretValuesOf } from '../redact';
import type { RenderedManifest } from '../render';
import { type DesiredObject, type DesiredOptions, prepareDesired } from './desired';
import { type SecretsConfig, withSecrets } from './engine';
import { appOwnedFields } from './field-managers';
import { finishedByTtl, idSet } from './finished-jobs';
import { LiveState, listTargets } from './live';
import { asStored } from './normalize';
import { ForeignObjects, ownershipRefusal } from './ownership';
import type { ClusterPort, InventoryStore, ResourceInfo } from './ports';
import { outsideAllowList } from './prune-plan';

export interface Inspection {
  readonly app: string;
  readonly desired: DesiredObject[];
  readonly live: LiveState;
  /** Desired objects missing from the app's live state that another app owns. */
  readonly foreign: ForeignObjects;
  readonly previous: ObjectId[] | undefined;
  /** Inventory ids the app adopted: prune keeps them unless told (prune-plan.ts). */
  readonly adopted?: ReadonlySet<string>;
  readonly redactor: Redactor;
  /** The app's ignore rules: drift and diff compare the fields they name as live (ignore.ts). */
  readonly ignore?: readonly IgnoreRule[];
}

/**
 * Reads what drift and diff compare: the desired state and the live objects of the app and its
 * inventory, with one label-selected list per (kind, namespace). Reads only.
 */
export async function inspectApp(
  manifests: readonly RenderedManifest[],
  cluster: ClusterPort,
  inventory: InventoryStore,
  options: DesiredOptions & {
    readonly concurrency: number;
    readonly secrets?: SecretsConfig;
    readonly ignoreDifferences?: readonly IgnoreRule[];
  },
): Promise<Inspection> {
  const redactor = new Redactor();
  for (const m of manifests) for (const v of secretValuesOf(m.object)) redactor.register(v);
  // Hooks run once per sync and are not the app's objects: never drift, never in a diff.
  const desired = await withSecrets(
    await prepareDesired(planPhases(manifests, (m) => m.object).objects, cluster, options),
    options.secrets,
    redactor,
  );
  const stored = (await inventory.load(options.app, options.namespace))?.inventory.entries;
  // Ids the allow-list no longer covers are not read (the credentials may not reach them), nor shown pruned.
  const inside = stored?.filter((e) => outsideAllowList(e.id, options.allow) === undefined);
  const previous = inside?.map((e) => e.id);
  const adopted = new Set(inside?.flatMap((e) => (e.origin === 'adopted' ? [formatId(e.id)] : [])));
  const desiredEntries: { resource: ResourceInfo; id: ObjectId }[] = [];
  for (const d of desired) {
    const resource = await cluster.resource(d.object.apiVersion, d.object.kind);
    if (resource) desiredEntries.push({ resource, id: d.id });
  }
  const entries = [...desiredEntries];
  for (const id of previous ?? []) {
    const resource = await cluster.resourceFor(id.group, id.kind);
    if (resource) entries.push({ resource, id });
  }
  const live = await LiveState.read(cluster, listTargets(entries), options.app, options.concurrency);
  // The same reads as a sync's, so drift, diff and a dry run agree on objects other apps own.
  const foreign = await ForeignObjects.read(cluster, desiredEntries, live, options.app, options.concurrency);
  const ignore = options.ignoreDifferences;
  return {
    app: options.app,
    desired,
    live,
    foreign,
    previous,
    adopted,
    redactor,
    ...(ignore ? { ignore } : {}),
  };
}

/** The object the app would apply over (its own, else another app's), and why a sync would refuse it. */
function target(
  inspection: Inspection,
  rendered: DesiredObject,
): { d: DesiredObject; live?: KubeObject; refusal?: string } {
  const own = inspection.live.get(rendered.id);
  const foreign = own ? undefined : inspection.foreign.get(rendered.id);
  const live = own ?? foreign;
  // Compared as a sync would apply it: ignored fields at their live values.
  const d = { ...rendered, object: withIgnoredFromLive(rendered.object, live, inspection.ignore) };
  if (!foreign) return live ? { d, live } : { d };
  const refusal = ownershipRefusal(d.object, foreign, inspection.app);
  return refusal === undefined ? { d, live } : { d, live, refusal };
}

export interface DriftEntry {
  readonly id: string;
  readonly subject: string;
  readonly reason: 'missing' | 'changed';
  readonly fields: FieldDiff[];
  /** Set when another app owns the object: why a sync of this app would refuse it. */
  readonly refusal?: string;
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
  for (const rendered of inspection.desired) {
    const { d, live, refusal } = target(inspection, rendered);
    const base = { id: formatId(d.id), subject: subjectOf(d.id), ...(refusal ? { refusal } : {}) };
    if (finishedByTtl(d, live, previous)) continue;
    if (!live) {
      drifted.push({ ...base, reason: 'missing', fields: [] });
      continue;
    }
    const fields = compareDeclared(asStored(d.object), live);
    if (fields.length > 0 || refusal)
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
  /** `refuse`: another app owns the object, and a sync would fail it (see `refusal`). */
  readonly action: 'create' | 'configure' | 'delete' | 'refuse';
  readonly fields: FieldDiff[];
  /** Fields the app owns that Git dropped: the apply removes them. */
  readonly removes: string[];
  readonly refusal?: string;
}

/** What a sync would change, computed from the same reads as drift (no dry-run writes). */
export function planDiff(inspection: Inspection, prune: boolean): DiffEntry[] {
  const out: DiffEntry[] = [];
  const previous = idSet(inspection.previous);
  for (const rendered of inspection.desired) {
    const { d, live, refusal } = target(inspection, rendered);
    const base = { id: formatId(d.id), subject: subjectOf(d.id) };
    if (finishedByTtl(d, live, previous)) continue;
    if (!live) {
      out.push({ ...base, action: 'create', fields: [], removes: [] });
      continue;
    }
    const fields = redactDiffs(d.object, compareDeclared(asStored(d.object), live));
    if (refusal) {
      out.push({ ...base, action: 'refuse', fields, removes: [], refusal });
      continue;
    }
    const owned = appOwnedFields(live, inspection.app);
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
