/**
 * Runs the hooks of one phase against the cluster (the doing half of lib/core/order/phases.ts): wave
 * by wave, each hook created anew (its delete policies honoured), then waited for until it completes.
 * A hook is labelled with HOOK_LABEL, never APP_LABEL, so the app's lists, inventory, drift and
 * prune never see it.
 */
import { assessHealth } from '../health';
import {
  APP_LABEL,
  appFieldManager,
  HOOK_LABEL,
  idOf,
  type KubeObject,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  type ObjectId,
  subjectOf,
} from '../manifests';
import { HOOK_PHASES, type HookPhase, type HookWave, type PhasePlan, type PlannedHook } from '../order';
import type { Redactor } from '../redact';
import type { RenderedManifest } from '../render';
import type { Change } from './changeset';
import type { DesiredObject } from './desired';
import { mapPool } from './pool';
import type { ClusterPort, ResourceInfo } from './ports';

/** The first wait between two reads of a running hook (or of a wave's health); doubled each time. */
export const FIRST_POLL_MS = 25;

export interface HookContext {
  readonly app: string;
  readonly cluster: ClusterPort;
  readonly redactor: Redactor;
  /** How long one hook may take to complete. */
  readonly timeoutMs: number;
  /** When (by `now`) every hook of the sync must have ended; default: no bound beyond timeoutMs. */
  readonly until?: number;
  readonly pollMs: number;
  readonly concurrency: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
}

type Outcome = { readonly done: false } | { readonly done: true; readonly ok: boolean; readonly why: string };

/** Whether a hook's live object has finished: Jobs and Pods when they end, other kinds once healthy. */
export function hookOutcome(object: KubeObject): Outcome {
  if (object.kind === 'Pod' && object.apiVersion === 'v1') {
    const phase = (object.status as { phase?: unknown } | undefined)?.phase;
    if (phase === 'Succeeded') return { done: true, ok: true, why: 'pod succeeded' };
    if (phase === 'Failed') return { done: true, ok: false, why: 'pod failed' };
    return { done: false };
  }
  const health = assessHealth(object);
  if (health.status === 'Healthy') return { done: true, ok: true, why: health.message || 'healthy' };
  // Argo CD ends a Job hook on its Failed condition; a Degraded object of another kind may recover.
  if (health.status === 'Degraded' && object.kind === 'Job')
    return { done: true, ok: false, why: health.message };
  return { done: false };
}

/** The object sent for a hook: the app's label swapped for HOOK_LABEL, generateName kept when it names none. */
export function hookBody(object: KubeObject, app: string): KubeObject {
  const labels = { ...(object.metadata.labels ?? {}) };
  delete labels[APP_LABEL];
  labels[MANAGED_BY_LABEL] = MANAGED_BY_VALUE;
  labels[HOOK_LABEL] = app;
  const metadata = { ...object.metadata, labels };
  if (metadata.name === '') delete (metadata as { name?: string }).name;
  return { ...object, metadata };
}

/**
 * Why a live object of a named hook's name is not this app's to replace or delete, or undefined: it
 * must be a hook of this app, or the app's own object (a hook an earlier version applied as one).
 */
export function notOwnHook(live: KubeObject, app: string): string | undefined {
  const labels = live.metadata.labels ?? {};
  const owner = labels[APP_LABEL];
  const hookOf = labels[HOOK_LABEL];
  if (hookOf === app && (owner === undefined || owner === app)) return undefined;
  if (hookOf === undefined && owner === app) return undefined;
  const holder =
    owner !== undefined && owner !== app
      ? `app ${owner}`
      : hookOf !== undefined && hookOf !== app
        ? `app ${hookOf}'s hooks`
        : 'no Plumbline app (it was not made by one)';
  return `${subjectOf(idOf(live))} exists and belongs to ${holder}; rename the hook or use generateName`;
}

function change(
  id: ObjectId,
  phase: HookPhase,
  durationMs: number,
  action: Change['action'],
  reason: string,
): Change {
  return { id, subject: subjectOf(id), action, reason, hook: { phase, durationMs } };
}

/** A hook that was not run (dry run, or an earlier step failed), for the change set. */
export function notRun(hook: PlannedHook<DesiredObject>, reason: string): Change {
  return change(hook.item.id, hook.phase, 0, 'skipped', reason);
}

async function removeAndWait(
  ctx: HookContext,
  resource: ResourceInfo,
  id: ObjectId,
  deadline: number,
): Promise<void> {
  if (!(await ctx.cluster.remove(resource, id.namespace, id.name, { dryRun: false }))) return;
  // A Job's pods hold it while they go: a create before it is gone would fail with AlreadyExists.
  while (await ctx.cluster.get(resource, id.namespace, id.name)) {
    if (ctx.now() > deadline) throw new Error(`the previous ${subjectOf(id)} was not deleted in time`);
    await ctx.sleep(Math.min(ctx.pollMs, 200));
  }
}

async function runHook(ctx: HookContext, hook: PlannedHook<DesiredObject>): Promise<Change> {
  const started = ctx.now();
  const deadline = Math.min(started + ctx.timeoutMs, ctx.until ?? Number.POSITIVE_INFINITY);
  const { object } = hook.item;
  let id = hook.item.id;
  const took = (): number => Math.round(ctx.now() - started);
  const label = `${hook.phase} hook`;
  try {
    const resource = await ctx.cluster.resource(object.apiVersion, object.kind);
    if (!resource)
      return change(
        id,
        hook.phase,
        took(),
        'failed',
        `the cluster does not serve ${object.kind} in ${object.apiVersion}`,
      );
    if (deadline <= started)
      return change(id, hook.phase, 0, 'failed', `${label} not run: the sync's timeout was spent`);
    const body = hookBody(object, ctx.app);
    const generated = body.metadata.name === undefined;
    if (!generated) {
      // A named hook is force-applied and may be deleted: only over nothing or this app's own.
      const previous = await ctx.cluster.get(resource, id.namespace, id.name);
      const refusal = previous && notOwnHook(previous, ctx.app);
      if (refusal) return change(id, hook.phase, took(), 'failed', `${label} not run: ${refusal}`);
    }
    // A hook named by generateName gets a new name each run: there is no previous object to delete.
    if (!generated && hook.deletePolicies.includes('BeforeHookCreation'))
      await removeAndWait(ctx, resource, id, deadline);
    let created: boolean;
    if (generated) {
      id = idOf(await ctx.cluster.create(resource, body, { dryRun: false }));
      created = true;
    } else {
      const applied = await ctx.cluster.apply(resource, body, {
        force: true,
        dryRun: false,
        fieldManager: appFieldManager(ctx.app),
      });
      created = applied.created;
    }
    let outcome: Outcome = { done: false };
    for (let attempt = 0; ; attempt++) {
      const live = await ctx.cluster.get(resource, id.namespace, id.name);
      outcome = live ? hookOutcome(live) : { done: true, ok: false, why: 'deleted before it completed' };
      if (outcome.done || ctx.now() > deadline) break;
      // Short hooks end in well under a second: poll soon, then back off to pollMs.
      await ctx.sleep(Math.min(ctx.pollMs, FIRST_POLL_MS * 2 ** attempt));
    }
    if (!outcome.done)
      return change(
        id,
        hook.phase,
        took(),
        'failed',
        `${label} did not complete within ${Math.round((deadline - started) / 1000)} s`,
      );
    const policy = outcome.ok ? 'HookSucceeded' : 'HookFailed';
    const deleted =
      hook.deletePolicies.includes(policy) &&
      (await ctx.cluster.remove(resource, id.namespace, id.name, { dryRun: false }));
    const after = deleted ? `, then deleted (${policy})` : '';
    return outcome.ok
      ? change(
          id,
          hook.phase,
          took(),
          created ? 'created' : 'unchanged',
          `${label} succeeded: ${outcome.why}${after}`,
        )
      : change(id, hook.phase, took(), 'failed', `${label} failed: ${outcome.why}${after}`);
  } catch (err: unknown) {
    const message = err instanceof Error ? err.message : String(err);
    return change(id, hook.phase, took(), 'failed', `${label}: ${ctx.redactor.redact(message)}`);
  }
}

/**
 * Runs a phase's hook waves in order, the hooks of a wave in parallel. After a wave with a failure,
 * the later waves are not run (reported `skipped`). Returns one change per hook.
 */
export async function runHookPhase(
  ctx: HookContext,
  waves: readonly HookWave<DesiredObject>[],
): Promise<{ changes: Change[]; failed: boolean }> {
  const changes: Change[] = [];
  let failed = false;
  for (const wave of waves) {
    if (failed) {
      changes.push(...wave.hooks.map((h) => notRun(h, `not run: an earlier ${h.phase} hook failed`)));
      continue;
    }
    const results = await mapPool(wave.hooks, ctx.concurrency, (h) => runHook(ctx, h));
    for (const [i, r] of results.entries()) {
      const hook = wave.hooks[i]!;
      const c =
        r.status === 'fulfilled'
          ? r.value
          : change(hook.item.id, hook.phase, 0, 'failed', ctx.redactor.redact(String(r.reason)));
      if (c.action === 'failed') failed = true;
      changes.push(c);
    }
  }
  return { changes, failed };
}

/** A manifest a sync does not apply (a Helm test hook, `Skip`), for the change set. */
export function skippedManifest(object: KubeObject, reason: string): Change {
  const id = idOf(object);
  const named = id.name === '' ? { ...id, name: object.metadata.generateName as string } : id;
  return { id: named, subject: subjectOf(named), action: 'skipped', reason: `not applied: ${reason}` };
}

/**
 * The app's hooks by phase as desired objects: the allow-list, default namespace and labels applied
 * as to every object. A hook named by generateName keeps `metadata.name: ''` (so the server names
 * it) and carries its prefix as the name of its id.
 */
export async function prepareHooks(
  plan: PhasePlan<RenderedManifest>,
  prepare: (manifests: RenderedManifest[]) => Promise<DesiredObject[]>,
): Promise<Record<HookPhase, HookWave<DesiredObject>[]>> {
  const unique = [
    ...new Set(HOOK_PHASES.flatMap((p) => plan.hooks[p].flatMap((w) => w.hooks.map((h) => h.item)))),
  ];
  const named = unique.map((m) =>
    m.object.metadata.name === ''
      ? {
          ...m,
          object: {
            ...m.object,
            metadata: { ...m.object.metadata, name: String(m.object.metadata.generateName) },
          },
        }
      : m,
  );
  const prepared = await prepare(named);
  const byManifest = new Map(
    unique.map((m, i) => {
      const d = prepared[i]!;
      if (m.object.metadata.name !== '') return [m, d] as const;
      return [m, { ...d, object: { ...d.object, metadata: { ...d.object.metadata, name: '' } } }] as const;
    }),
  );
  const phase = (p: HookPhase): HookWave<DesiredObject>[] =>
    plan.hooks[p].map((w) => ({
      wave: w.wave,
      hooks: w.hooks.map((h) => ({ ...h, item: byManifest.get(h.item)! })),
    }));
  return {
    PreSync: phase('PreSync'),
    Sync: phase('Sync'),
    PostSync: phase('PostSync'),
    SyncFail: phase('SyncFail'),
  };
}
