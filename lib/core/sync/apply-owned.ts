import { type IgnoreRule, withIgnoredFromLive } from '../drift';
import { appFieldManager, FIELD_MANAGER, type KubeObject, subjectOf } from '../manifests';
import { type ApplyContext, applyObject, isUnchanged } from './apply-object';
import type { Change } from './changeset';
import type { DesiredObject } from './desired';
import { managerMigrationPatch, needsManagerMigration } from './field-managers';
import { ownerOf, ownershipRefusal } from './ownership';
import { ClusterApiError, type ResourceInfo } from './ports';

export interface AppApplyContext extends Omit<ApplyContext, 'fieldManager'> {
  readonly app: string;
  /** The app's ignore rules: the fields they name are applied with their live values. */
  readonly ignore?: readonly IgnoreRule[];
}

/** Reads of an object whose migration patch found it changed since it was read. */
const MIGRATION_ATTEMPTS = 3;

export const MIGRATED_REASON = `field manager moved from ${FIELD_MANAGER} to the app's own`;

/**
 * Applies one desired object as its app: refused when another app owns it live (unless the
 * manifest adopts it from that app), moved first from the field manager all apps once shared to
 * the app's own, and sent no request when nothing would change. `live` is the app's own object,
 * `foreign` another app's (at most one is set).
 */
export async function applyAsApp(
  ctx: AppApplyContext,
  rendered: DesiredObject,
  resource: ResourceInfo,
  live: KubeObject | undefined,
  foreign: KubeObject | undefined,
): Promise<Change> {
  const d = { ...rendered, object: withIgnoredFromLive(rendered.object, live ?? foreign, ctx.ignore) };
  const base = { id: d.id, subject: subjectOf(d.id) };
  const refused = (object: KubeObject | undefined): Change | undefined => {
    const owner = object && ownerOf(object);
    const refusal = object && ownershipRefusal(d.object, object, ctx.app);
    return owner !== undefined && refusal !== undefined
      ? { ...base, action: 'failed', reason: refusal, owner }
      : undefined;
  };
  const refusal = refused(foreign);
  if (refusal) return refusal;
  const fieldManager = appFieldManager(ctx.app);
  let current = live ?? foreign;
  let migrated = false;
  if (live && needsManagerMigration(live, ctx.app)) {
    if (ctx.dryRun) {
      if (isUnchanged(d.object, live, ctx.app)) return { ...base, action: 'unchanged' };
      // A dry run cannot move the entry; the shared manager owns exactly what the app's would own
      // after the move, so its dry-run apply answers as the move and then the apply would.
      return applyObject({ ...ctx, fieldManager: FIELD_MANAGER }, d, resource, live);
    }
    try {
      current = await migrate(ctx, d, resource, live);
      migrated = true;
      // Read again when the object changed meanwhile: it may have changed hands too.
      const changedHands = refused(current);
      if (changedHands) return changedHands;
    } catch (err: unknown) {
      const message = err instanceof Error ? err.message : String(err);
      return {
        ...base,
        action: 'failed',
        reason: `could not move the field manager from ${FIELD_MANAGER} to ${fieldManager}: ${ctx.redactor.redact(message)}`,
      };
    }
  }
  if (isUnchanged(d.object, current, ctx.app))
    return { ...base, action: 'unchanged', ...(migrated ? { reason: MIGRATED_REASON } : {}) };
  return applyObject({ ...ctx, fieldManager }, d, resource, current);
}

/**
 * Hands the shared manager's Apply entry to the app's manager with a JSON patch guarded by the
 * resourceVersion it was computed from; when the object changed meanwhile, reads it and tries again.
 * Returns the object as stored (undefined when it was deleted meanwhile).
 */
async function migrate(
  ctx: AppApplyContext,
  d: DesiredObject,
  resource: ResourceInfo,
  live: KubeObject,
): Promise<KubeObject | undefined> {
  const { namespace, name } = d.id;
  let current = live;
  for (let attempt = 1; ; attempt++) {
    try {
      return await ctx.cluster.patch(resource, namespace, name, managerMigrationPatch(current, ctx.app), {
        dryRun: false,
        fieldManager: appFieldManager(ctx.app),
      });
    } catch (err: unknown) {
      // A failed `test` is a 422; a 409 is the server's own optimistic-concurrency conflict.
      const stale = err instanceof ClusterApiError && (err.code === 422 || err.code === 409);
      if (!stale || attempt >= MIGRATION_ATTEMPTS) throw err;
      const fresh = await ctx.cluster.get(resource, namespace, name);
      if (!fresh || !needsManagerMigration(fresh, ctx.app)) return fresh;
      current = fresh;
    }
  }
}
