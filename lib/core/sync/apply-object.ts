import { compareDeclared, ownedFieldsMissing } from '../drift';
import { createdUnderIntent } from '../inventory';
import { isObj, type KubeObject, REPLACE_ANNOTATION, subjectOf } from '../manifests';
import type { Redactor } from '../redact';
import type { Change } from './changeset';
import type { DesiredObject } from './desired';
import { appOwnedFields } from './field-managers';
import { asStored } from './normalize';
import { type ApplyResult, ClusterApiError, type ClusterPort, type ResourceInfo } from './ports';

export interface ApplyContext {
  readonly cluster: ClusterPort;
  readonly force: boolean;
  readonly dryRun: boolean;
  /** The field manager of the applies: the app's own, appFieldManager(app). */
  readonly fieldManager: string;
  readonly redactor: Redactor;
  readonly sleep: (ms: number) => Promise<void>;
  /** How long a replace waits for the old object to go. */
  readonly replaceTimeoutMs: number;
  /**
   * When this sync's intent began (ISO 8601): an object it did not see live whose apply answers
   * "updated" yet was created since then was created by this sync (an earlier attempt whose answer
   * was lost, then retried), judged as a pending id is (docs/adr/0016).
   */
  readonly createdSince?: string;
}

/**
 * Whether applying would change nothing: every declared field matches live and Git dropped no
 * field the app still owns. Such objects get no request at all (#3).
 */
export function isUnchanged(desired: KubeObject, live: KubeObject | undefined, app: string): boolean {
  if (!live) return false;
  if (compareDeclared(asStored(desired), live).length > 0) return false;
  const owned = appOwnedFields(live, app);
  return owned === undefined ? false : ownedFieldsMissing(owned, desired).length === 0;
}

function conflictFields(err: ClusterApiError): string[] {
  return err.causes
    .filter((c) => c.type === 'FieldManagerConflict')
    .map((c) => `${c.field ?? '?'} (${c.message ?? 'conflict'})`);
}

/**
 * The API server's ways of refusing a change to a field that cannot change after creation (422):
 * "field is immutable" (selectors, Job templates, Service clusterIP); StatefulSet "updates to
 * statefulset spec for fields other than … are forbidden" (volumeClaimTemplates, serviceName);
 * StorageClass "updates to parameters are forbidden"; RoleBinding "cannot change roleRef"; Pod
 * "pod updates may not change fields …"; PVC "spec is immutable after creation …".
 */
const IMMUTABLE = /immutable|updates to .* (?:are|is) forbidden|cannot change|may not change/i;

function isImmutableChange(err: ClusterApiError): boolean {
  return err.code === 422 && IMMUTABLE.test(err.message);
}

/**
 * Whether an object the sync did not see live, whose apply answered "updated", was made by an
 * earlier attempt of that same apply (the answer lost, the request retried): created since the
 * intent began, and no other manager has ever written it (whoever made it would show as one).
 */
function createdByRetry(object: KubeObject, ctx: ApplyContext): boolean {
  const stamp = object.metadata.creationTimestamp;
  if (ctx.createdSince === undefined || typeof stamp !== 'string') return false;
  if (!createdUnderIntent(stamp, ctx.createdSince)) return false;
  const entries = Array.isArray(object.metadata.managedFields) ? object.metadata.managedFields : [];
  return entries.every(
    (e) =>
      isObj(e) &&
      (e.manager === ctx.fieldManager || (typeof e.subresource === 'string' && e.subresource !== '')),
  );
}

/**
 * Applies one object: without force first, so conflicts are seen and recorded; then with force
 * when allowed (Git is the source of truth). An immutable-field change deletes and recreates
 * the object when it carries plumbline.dev/replace: "true".
 */
export async function applyObject(
  ctx: ApplyContext,
  d: DesiredObject,
  resource: ResourceInfo,
  live: KubeObject | undefined,
): Promise<Change> {
  const subject = subjectOf(d.id);
  const base = { id: d.id, subject };
  const outcome = (result: ApplyResult, extra: Partial<Change> = {}): Change => {
    const warnings = [...new Set(result.warnings ?? [])].map((w) => ctx.redactor.redact(w));
    const noted = warnings.length > 0 ? { ...extra, warnings } : extra;
    if (result.created) return { ...base, action: 'created', ...noted };
    if (live === undefined && !ctx.dryRun && createdByRetry(result.object, ctx))
      return { ...base, action: 'created', ...noted };
    const same =
      live !== undefined && live.metadata.resourceVersion === result.object.metadata.resourceVersion;
    return { ...base, action: same && !ctx.dryRun ? 'unchanged' : 'configured', ...noted };
  };
  try {
    try {
      return outcome(
        await ctx.cluster.apply(resource, d.object, {
          force: false,
          dryRun: ctx.dryRun,
          fieldManager: ctx.fieldManager,
        }),
      );
    } catch (err: unknown) {
      if (!(err instanceof ClusterApiError) || err.code !== 409) throw err;
      const conflicts = conflictFields(err);
      if (!ctx.force) {
        return {
          ...base,
          action: 'failed',
          reason: `conflict: ${ctx.redactor.redact(err.message)}`,
          conflicts,
        };
      }
      const result = await ctx.cluster.apply(resource, d.object, {
        force: true,
        dryRun: ctx.dryRun,
        fieldManager: ctx.fieldManager,
      });
      return outcome(result, {
        reason: `took ownership of ${conflicts.length} field(s) from other managers`,
        conflicts,
      });
    }
  } catch (err: unknown) {
    if (err instanceof ClusterApiError && isImmutableChange(err)) {
      if (d.object.metadata.annotations?.[REPLACE_ANNOTATION] === 'true')
        return replaceObject(ctx, d, resource);
      return {
        ...base,
        action: 'failed',
        reason: `${ctx.redactor.redact(err.message)}; set the annotation ${REPLACE_ANNOTATION}: "true" to delete and recreate it`,
      };
    }
    return {
      ...base,
      action: 'failed',
      reason: ctx.redactor.redact(err instanceof Error ? err.message : String(err)),
    };
  }
}

async function replaceObject(ctx: ApplyContext, d: DesiredObject, resource: ResourceInfo): Promise<Change> {
  const subject = subjectOf(d.id);
  const { namespace, name } = d.id;
  if (ctx.dryRun)
    return { id: d.id, subject, action: 'configured', reason: 'would be replaced (immutable field changed)' };
  await ctx.cluster.remove(resource, namespace, name, { dryRun: false });
  const deadline = Date.now() + ctx.replaceTimeoutMs;
  while (await ctx.cluster.get(resource, namespace, name)) {
    if (Date.now() > deadline) {
      return {
        id: d.id,
        subject,
        action: 'failed',
        reason: `replace: the old object was still there after ${ctx.replaceTimeoutMs} ms`,
      };
    }
    await ctx.sleep(200);
  }
  await ctx.cluster.apply(resource, d.object, { force: true, dryRun: false, fieldManager: ctx.fieldManager });
  return {
    id: d.id,
    subject,
    action: 'configured',
    reason: 'replaced (deleted and recreated: an immutable field changed)',
  };
}
