import { type ContentHashKey, contentHashes } from '../audit/content-hash';
import type { IgnoreRule } from '../drift';
import { activeLease, type Inventory, InventoryBusyError } from '../inventory';
import { formatId, groupOf, type ObjectId, parseId, subjectOf } from '../manifests';
import { applyWaves, type HookWave, planPhases, syncSteps } from '../order';
import { Redactor, secretValuesOf } from '../redact';
import type { RenderedManifest } from '../render';
import { resolveSecrets, SecretResolutionError, type SecretStore } from '../secrets';
import { applyAsApp } from './apply-owned';
import { type Change, type ChangeCounts, countChanges } from './changeset';
import { type AllowList, type DesiredObject, prepareDesired } from './desired';
import { EmptyRenderError } from './errors';
import { finishedByTtl, TTL_FINISHED_REASON } from './finished-jobs';
import { FIRST_POLL_MS, notRun, prepareHooks, runHookPhase, skippedManifest } from './hooks';
import { replicasScaledByHpa, withReplicasWarnings } from './hpa-replicas';
import { confirmInventory, newLease, writeIntent } from './inventory-flow';
import { type ListTarget, LiveState, listTargets } from './live';
import { ForeignObjects } from './ownership';
import { mapPool } from './pool';
import { ClusterApiError, type ClusterPort, type InventoryStore, type ResourceInfo } from './ports';
import { checkAccess, explainForbiddenRead, plannedWrites } from './preflight';
import { plannedHookWrites } from './preflight-hooks';
import { pruneObjects } from './prune';
import type { PruneDecision } from './prune-plan';
import { refuseReservedNames } from './reserved';
import { planInventory, splitLeftovers } from './sync-plan';
import { type Unhealthy, waitHealthy } from './wait';

export interface SyncOptions {
  readonly app: string;
  readonly namespace: string;
  readonly allow: AllowList;
  readonly revision?: string;
  readonly prune: boolean;
  readonly dryRun: boolean;
  /** Take ownership of conflicting fields (default true: Git is the source of truth). */
  readonly force: boolean;
  readonly concurrency: number;
  readonly wait: boolean;
  readonly timeoutMs: number;
  readonly pollMs?: number;
  readonly onProgress?: (done: number, total: number) => void;
  /**
   * Key of the HMAC that stands in for Secret values in content hashes (#6): when set, the result
   * carries a content hash of every desired object for the audit record.
   */
  readonly contentHashKey?: ContentHashKey;
  /** Sync a render with no object (default false: refused, it would prune the whole app). */
  readonly allowEmpty?: boolean;
  /** Prune objects the app adopted (default false). */
  readonly pruneAdopted?: boolean;
  /** The largest share of the inventory one sync may prune, 0 to 1 (default 0.5). */
  readonly pruneShare?: number;
  /** Prune past pruneShare. */
  readonly forcePrune?: boolean;
  /** Fields to leave at their live values: not drift, not a change, never applied over (ignore.ts). */
  readonly ignoreDifferences?: readonly IgnoreRule[];
}

export interface SecretsConfig {
  readonly store: SecretStore;
  /** Secret names must start with it: `plumbline/<cluster>/` by default (#6). */
  readonly prefix: string;
}

export interface SyncDeps {
  readonly cluster: ClusterPort;
  readonly inventory: InventoryStore;
  /** Resolves Secrets Manager references in Secrets; without it a reference is refused. */
  readonly secrets?: SecretsConfig;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

export interface SyncResult {
  readonly app: string;
  readonly revision: string | undefined;
  readonly changes: Change[];
  readonly counts: ChangeCounts;
  readonly durationMs: number;
  /** Objects not healthy when --wait timed out (empty otherwise). */
  readonly unhealthy: Unhealthy[];
  /** True when nothing failed and everything waited for is healthy. */
  readonly ok: boolean;
  /** contentHash() of each desired object by formatId, when SyncOptions.contentHashKey is set. */
  readonly contentHashes?: ReadonlyMap<string, string>;
  /** What failed after objects were applied (the inventory's confirmation), reported after the change set. */
  readonly error?: string;
}

/**
 * Desired objects with their Secrets Manager references resolved (values registered with the
 * redactor first), or refused when there is no store to resolve them.
 */
export async function withSecrets(
  desired: DesiredObject[],
  secrets: SecretsConfig | undefined,
  redactor: Redactor,
): Promise<DesiredObject[]> {
  const store: SecretStore = secrets?.store ?? {
    getSecretStrings: async (names) => {
      throw new SecretResolutionError(
        `the app references Secrets Manager secret(s) ${names.join(', ')} but no secret store is configured (pass --secrets-file FILE locally)`,
      );
    },
  };
  const resolved = await resolveSecrets(
    desired.map((d) => d.object),
    store,
    { prefix: secrets?.prefix ?? '' },
  );
  for (const value of resolved.values) redactor.register(value);
  // A reference inside a longer value (`url: postgres://u:${secret}@db`) makes a new value, and in
  // `data` its base64: registered as resolved, since neither is the secret alone.
  for (const object of resolved.objects) for (const value of secretValuesOf(object)) redactor.register(value);
  return desired.map((d, i) => ({ ...d, object: resolved.objects[i] ?? d.object }));
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves the resource of every desired object (discovery is cached per group-version). */
async function resolveResources(
  cluster: ClusterPort,
  desired: readonly DesiredObject[],
): Promise<Map<string, ResourceInfo>> {
  const out = new Map<string, ResourceInfo>();
  for (const d of desired) {
    const key = `${d.object.apiVersion}/${d.object.kind}`;
    if (out.has(key)) continue;
    const resource = await cluster.resource(d.object.apiVersion, d.object.kind);
    if (resource) out.set(key, resource);
  }
  return out;
}

async function inventoryTargets(
  cluster: ClusterPort,
  ids: readonly ObjectId[],
): Promise<{ resource: ResourceInfo; id: ObjectId }[]> {
  const out: { resource: ResourceInfo; id: ObjectId }[] = [];
  for (const id of ids) {
    const resource = await cluster.resourceFor(id.group, id.kind);
    if (resource) out.push({ resource, id });
  }
  return out;
}

/** A CRD that was applied but never became usable: its kinds cannot be applied after it. */
class CrdNotServedError extends Error {
  constructor(
    readonly crd: ObjectId,
    message: string,
  ) {
    super(message);
    this.name = 'CrdNotServedError';
  }
}

/** The group, kind and served versions a CRD manifest declares. */
function servedKinds(crd: DesiredObject): { group: string; kind: string; versions: string[] } {
  const spec = (crd.object.spec ?? {}) as {
    group?: unknown;
    names?: { kind?: unknown };
    versions?: { name?: unknown; served?: unknown }[];
  };
  const versions = Array.isArray(spec.versions)
    ? spec.versions.flatMap((v) => (v.served !== false && typeof v.name === 'string' ? [v.name] : []))
    : [];
  return {
    group: typeof spec.group === 'string' ? spec.group : '',
    kind: typeof spec.names?.kind === 'string' ? spec.names.kind : '',
    versions,
  };
}

/** How long CRDs applied by a sync get to be Established and listed by discovery. */
const CRD_DEADLINE_MS = 30_000;

/**
 * Waits until each CRD is Established and the cluster's discovery lists its kinds, so the custom
 * resources after it can be applied. A real API server updates discovery asynchronously, after
 * Established: without the second wait the first sync of an app that ships CRDs and their
 * resources would fail with "does not serve". Discovery is asked again for those group-versions only.
 */
async function waitServed(
  cluster: ClusterPort,
  crds: readonly DesiredObject[],
  deps: Required<Pick<SyncDeps, 'sleep' | 'now'>>,
): Promise<void> {
  const resource = await cluster.resource('apiextensions.k8s.io/v1', 'CustomResourceDefinition');
  if (!resource) return;
  const deadline = deps.now() + CRD_DEADLINE_MS;
  for (const crd of crds) {
    for (;;) {
      const live = await cluster.get(resource, '', crd.id.name);
      const status = live?.status as { conditions?: unknown } | undefined;
      const conditions = Array.isArray(status?.conditions)
        ? (status.conditions as { type?: string; status?: string }[])
        : [];
      if (conditions.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (deps.now() > deadline)
        throw new CrdNotServedError(
          crd.id,
          `applied, but not Established within ${CRD_DEADLINE_MS / 1000} s`,
        );
      await deps.sleep(100);
    }
  }
  for (const crd of crds) {
    const { group, kind, versions } = servedKinds(crd);
    for (const version of versions) {
      const apiVersion = `${group}/${version}`;
      cluster.refreshDiscovery(apiVersion);
      while (!(await cluster.resource(apiVersion, kind))) {
        if (deps.now() > deadline)
          throw new CrdNotServedError(
            crd.id,
            `Established, but discovery did not list ${kind} in ${apiVersion} within ${CRD_DEADLINE_MS / 1000} s`,
          );
        await deps.sleep(200);
        cluster.refreshDiscovery(apiVersion);
      }
    }
  }
}

/**
 * Syncs an app: desired state (allow-list first), live state (one list per kind and namespace),
 * batches in order with bounded concurrency, no write for unchanged objects, prune only when
 * every apply succeeded, inventory saved, optional wait for health.
 */
/** The prune plan reported as not done: kept ids with their own reason, deletes with `why`. */
function prunesSkipped(plan: readonly PruneDecision[], why: string): Change[] {
  return plan.flatMap((d): Change[] =>
    d.action === 'forget'
      ? []
      : [
          {
            id: d.id,
            subject: subjectOf(d.id),
            action: 'skipped',
            reason: d.action === 'keep' ? d.reason : why,
          },
        ],
  );
}

export async function syncApp(
  manifests: readonly RenderedManifest[],
  deps: SyncDeps,
  options: SyncOptions,
): Promise<SyncResult> {
  const state: SyncState = { changes: [] };
  try {
    return await runSync(manifests, deps, options, state);
  } catch (err: unknown) {
    // A sync that fails after its intent releases its lease, so the next run need not wait for it.
    if (state.written?.inventory.lease)
      await confirmInventory(
        deps.inventory,
        { app: options.app, namespace: options.namespace },
        state.written,
        undefined,
        new Map(state.changes.map((c) => [formatId(c.id), c.action])),
        state.removed ?? new Set(),
        { keepUnsent: true },
      );
    throw err;
  }
}

/** What runSync has written and done so far, for syncApp to confirm when it throws. */
interface SyncState {
  changes: Change[];
  written?: { inventory: Inventory; revision: string | undefined };
  removed?: Set<string>;
}

async function runSync(
  manifests: readonly RenderedManifest[],
  deps: SyncDeps,
  options: SyncOptions,
  state: SyncState,
): Promise<SyncResult> {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? defaultSleep;
  const started = now();
  const { cluster } = deps;
  refuseReservedNames(manifests);
  // Hooks and skipped manifests leave the app's objects here, with wave and hook annotations
  // validated: bad input is refused before the first request.
  const phases = planPhases(manifests, (m) => m.object);
  if (phases.objects.length === 0 && options.allowEmpty !== true)
    throw new EmptyRenderError(
      `app ${options.app} rendered no objects: syncing that would prune everything it has; check its path and files, or set allowEmpty: true (--allow-empty) if it is meant to be empty`,
    );
  const redactor = new Redactor();
  for (const m of manifests) for (const v of secretValuesOf(m.object)) redactor.register(v);

  const desired = await withSecrets(
    await prepareDesired(phases.objects, cluster, options),
    deps.secrets,
    redactor,
  );
  const hooks = await prepareHooks(phases, async (ms) =>
    withSecrets(await prepareDesired(ms, cluster, options), deps.secrets, redactor),
  );
  const waves = applyWaves(desired.map((d) => d.object));
  const stored = await deps.inventory.load(options.app, options.namespace);
  const lease = newLease(now());
  const busy = stored ? activeLease(stored.inventory, lease.holder, now()) : undefined;
  const resources = await resolveResources(cluster, desired);
  const desiredTargets = desired.flatMap((d) => {
    const resource = resources.get(`${d.object.apiVersion}/${d.object.kind}`);
    return resource ? [{ resource, id: d.id }] : [];
  });
  // Ids the allow-list no longer covers are neither read nor pruned: they stay, with the reason.
  const { leftovers, outside } = splitLeftovers(stored, desired, options.allow);
  const leftoverTargets = await inventoryTargets(
    cluster,
    leftovers.map((e) => e.id),
  );
  const targets: ListTarget[] = listTargets([...desiredTargets, ...leftoverTargets]);
  const held = new Set(stored?.inventory.entries.map((e) => formatId(e.id)));
  // A read the identity may not do: refused with each missing permission named (#13).
  const explainForbidden = (err: unknown): Promise<never> => {
    if (!(err instanceof ClusterApiError && err.code === 403)) throw err;
    return explainForbiddenRead(
      cluster,
      options.app,
      desiredTargets,
      leftoverTargets,
      options.concurrency,
      err,
    );
  };
  const [live, prefetched] = await Promise.all([
    LiveState.read(cluster, targets, options.app, options.concurrency),
    ForeignObjects.prefetch(
      cluster,
      desiredTargets.filter((d) => !held.has(formatId(d.id))),
      options.app,
      options.concurrency,
    ),
  ]).catch(explainForbidden);
  const foreign = await ForeignObjects.read(
    cluster,
    desiredTargets,
    live,
    options.app,
    options.concurrency,
    prefetched,
  ).catch(explainForbidden);
  const { previous, inInventory, plan, added, deletes } = planInventory(
    stored,
    busy,
    leftovers,
    desired,
    (id) => live.get(id),
    options,
  );
  // Before the first write: refused whole, naming what grants each missing permission (#13).
  if (!options.dryRun) {
    const seen = { live: (id: ObjectId) => live.get(id), foreign: (id: ObjectId) => foreign.get(id) };
    const writes = await plannedWrites(cluster, options.app, desired, resources, seen, plan);
    writes.push(...(await plannedHookWrites(cluster, hooks)));
    await checkAccess(cluster, options.app, writes, options.concurrency);
  }
  // Intent before the first create (and before a delete): a crash after it leaves nothing unprunable.
  let written: { inventory: Inventory; revision: string | undefined } = {
    inventory: previous,
    revision: stored?.revision,
  };
  const { changes } = state;
  const ctx = {
    app: options.app,
    cluster,
    force: options.force,
    dryRun: options.dryRun,
    redactor,
    sleep,
    replaceTimeoutMs: 60_000,
    createdSince: lease.since,
    ...(options.ignoreDifferences ? { ignore: options.ignoreDifferences } : {}),
  };
  const finish = (failedRun: boolean, unhealthy: Unhealthy[], error?: string): SyncResult => ({
    app: options.app,
    revision: options.revision,
    changes,
    counts: countChanges(changes),
    durationMs: Math.round(now() - started),
    unhealthy,
    ok: !failedRun && unhealthy.length === 0,
    ...(error ? { error } : {}),
    ...(options.contentHashKey !== undefined
      ? {
          contentHashes: contentHashes(
            desired.map((d) => d.object),
            options.contentHashKey,
          ),
        }
      : {}),
  });
  // Hooks and waits of one sync share its timeout: each taking all of it in turn would outlast the
  // invocation (PreSync, every wave, PostSync, SyncFail), which then ends with no record.
  const until = started + options.timeoutMs;
  const hookCtx = {
    app: options.app,
    cluster,
    redactor,
    timeoutMs: options.timeoutMs,
    until,
    pollMs: options.pollMs ?? 1000,
    concurrency: options.concurrency,
    sleep,
    now,
  };
  /** Waits for objects to be healthy (kinds whose CRD this sync created resolved anew); what is not. */
  const waitFor = async (objects: readonly DesiredObject[], soon = false): Promise<Unhealthy[]> => {
    const waited = objects.filter((d) => !ttlFinished.has(formatId(d.id)));
    const waitTargets: { resource: ResourceInfo; id: ObjectId }[] = [];
    for (const d of waited) {
      const resource =
        resources.get(`${d.object.apiVersion}/${d.object.kind}`) ??
        (await cluster.resource(d.object.apiVersion, d.object.kind));
      if (resource) waitTargets.push({ resource, id: d.id });
    }
    return waitHealthy(
      {
        cluster,
        app: options.app,
        targets: listTargets(waitTargets),
        timeoutMs: Math.max(0, Math.min(options.timeoutMs, until - now())),
        pollMs: options.pollMs ?? 1000,
        ...(soon ? { firstPollMs: FIRST_POLL_MS } : {}),
        concurrency: options.concurrency,
        sleep,
        now,
      },
      waited,
    );
  };
  /** Runs hook waves, or reports them not run (`why`, or a dry run); true when one failed. */
  const runHooks = async (list: readonly HookWave<DesiredObject>[], why?: string): Promise<boolean> => {
    const reason = why ?? (options.dryRun ? 'dry run: not run' : undefined);
    if (reason !== undefined) {
      changes.push(...list.flatMap((w) => w.hooks.map((h) => notRun(h, reason))));
      return false;
    }
    const ran = await runHookPhase(hookCtx, list);
    changes.push(...ran.changes);
    return ran.failed;
  };
  for (const skipped of phases.skipped) changes.push(skippedManifest(skipped.item.object, skipped.reason));
  if (
    busy &&
    !options.dryRun &&
    (hooks.PreSync.length > 0 || hooks.Sync.length > 0 || hooks.PostSync.length > 0)
  )
    throw new InventoryBusyError(
      `app ${options.app} is being synced by another run (its lease ends ${busy.until}); its hooks were not run and nothing was applied`,
    );
  // PreSync hooks complete before anything of the app is written; one failing stops the sync there.
  if (await runHooks(hooks.PreSync)) {
    const why = 'not applied: a PreSync hook failed';
    for (const d of desired)
      changes.push({ id: d.id, subject: subjectOf(d.id), action: 'skipped', reason: why });
    changes.push(...prunesSkipped(plan, 'not pruned: a PreSync hook failed'));
    await runHooks(hooks.Sync, 'not run: a PreSync hook failed');
    await runHooks(hooks.PostSync, 'not run: a PreSync hook failed');
    await runHooks(hooks.SyncFail);
    return finish(true, []);
  }
  const preApplied = new Map<string, Change>();
  if (!options.dryRun && (added.length > 0 || deletes)) {
    written = await writeIntent(
      { cluster, store: deps.inventory, app: options.app, namespace: options.namespace },
      { previous, revision: stored?.revision, added, isLive: (id) => live.get(id) !== undefined, lease },
      async (first) => {
        // The inventory is kept in the app's namespace, which the app itself declares: created first.
        const resource = resources.get(`${first.object.apiVersion}/${first.object.kind}`);
        if (!resource) return undefined;
        const change = await applyAsApp(ctx, first, resource, undefined, foreign.get(first.id));
        preApplied.set(formatId(first.id), change);
        return { change, resource };
      },
    );
    state.written = written;
  }

  let done = 0;
  let failed = false;
  const byObject = new Map(desired.map((d) => [d.object, d]));
  const ttlFinished = new Set<string>();
  let unhealthy: Unhealthy[] = [];
  for (const step of syncSteps(waves, hooks.Sync)) {
    if (step.step === 'hooks') {
      if (await runHooks([step.hooks])) failed = true;
      if (failed) break;
      continue;
    }
    if (step.step === 'wait') {
      if (options.dryRun) continue;
      // The next wave is applied only once this one is healthy, as Argo CD does.
      unhealthy = await waitFor(
        step.objects.map((o) => byObject.get(o)!),
        true,
      );
      if (unhealthy.length > 0) failed = true;
      if (failed) break;
      continue;
    }
    const batch = step.objects;
    const batchObjects = batch.map((o) => byObject.get(o)!);
    const results = await mapPool(batchObjects, options.concurrency, async (d) => {
      const early = preApplied.get(formatId(d.id));
      if (early) return early;
      const liveObject = live.get(d.id);
      const foreignObject = liveObject ? undefined : foreign.get(d.id);
      let resource = resources.get(`${d.object.apiVersion}/${d.object.kind}`);
      // Kinds whose CRD was applied in an earlier batch of this sync are discovered now.
      resource ??= await cluster.resource(d.object.apiVersion, d.object.kind);
      if (!resource)
        return {
          id: d.id,
          subject: subjectOf(d.id),
          action: 'failed',
          reason: `the cluster does not serve ${d.object.kind} in ${d.object.apiVersion}`,
        } satisfies Change;
      if (finishedByTtl(d, liveObject ?? foreignObject, inInventory)) {
        ttlFinished.add(formatId(d.id));
        return {
          id: d.id,
          subject: subjectOf(d.id),
          action: 'unchanged',
          reason: TTL_FINISHED_REASON,
        } satisfies Change;
      }
      return applyAsApp(ctx, d, resource, liveObject, foreignObject);
    });
    for (const [i, r] of results.entries()) {
      const d = batchObjects[i]!;
      const change: Change =
        r.status === 'fulfilled'
          ? r.value
          : {
              id: d.id,
              subject: subjectOf(d.id),
              action: 'failed',
              reason: redactor.redact(String(r.reason)),
            };
      if (change.action === 'failed') failed = true;
      changes.push(change);
    }
    done += batch.length;
    options.onProgress?.(done, desired.length);
    // Apply stops before a later batch when one failed: what comes later may depend on it.
    if (failed) break;
    const crds = batchObjects.filter(
      (d) =>
        d.object.kind === 'CustomResourceDefinition' &&
        groupOf(d.object.apiVersion) === 'apiextensions.k8s.io',
    );
    if (crds.length > 0 && !options.dryRun) {
      try {
        await waitServed(cluster, crds, { sleep, now });
      } catch (err: unknown) {
        if (!(err instanceof CrdNotServedError)) throw err;
        // The CRD exists (it stays in the inventory) but nothing that needs it can be applied.
        const at = changes.findIndex((c) => formatId(c.id) === formatId(err.crd));
        const change: Change = {
          id: err.crd,
          subject: subjectOf(err.crd),
          action: 'failed',
          reason: err.message,
        };
        if (at >= 0) changes[at] = change;
        else changes.push(change);
        failed = true;
        break;
      }
    }
  }
  changes.splice(0, changes.length, ...withReplicasWarnings(changes, replicasScaledByHpa(desired)));
  const reached = new Set(changes.map((c) => formatId(c.id)));
  for (const d of desired) {
    if (!reached.has(formatId(d.id)))
      changes.push({
        id: d.id,
        subject: subjectOf(d.id),
        action: 'skipped',
        reason: 'not applied: an earlier batch failed',
      });
  }

  let removed = new Set<string>();
  if (!failed) {
    const pruned = await pruneObjects(
      { cluster, dryRun: options.dryRun, concurrency: options.concurrency, redactor },
      plan,
    );
    changes.push(...pruned.changes);
    removed = pruned.removed;
    state.removed = removed;
    if (pruned.changes.some((c) => c.action === 'failed')) failed = true;
  } else {
    changes.push(...prunesSkipped(plan, 'not pruned: an apply failed'));
  }
  for (const [key, reason] of outside) {
    const id = parseId(key);
    changes.push({ id, subject: subjectOf(id), action: 'skipped', reason });
  }
  // While another run holds the lease this sync wrote nothing, and writes nothing now either.
  const error =
    options.dryRun || busy
      ? undefined
      : await confirmInventory(
          deps.inventory,
          { app: options.app, namespace: options.namespace },
          written,
          stored,
          new Map(changes.map((c) => [formatId(c.id), c.action])),
          // Another app owns what a sync refused: it leaves this app's inventory (never pruned by it).
          new Set([...removed, ...changes.flatMap((c) => (c.owner ? [formatId(c.id)] : []))]),
          { keep: new Set(outside.keys()) },
        );
  if (error) failed = true;

  if (options.wait && !failed && !options.dryRun) unhealthy = await waitFor(desired);
  // PostSync hooks run once everything is healthy, which is waited for even without --wait.
  if (hooks.PostSync.length > 0 && !failed && !options.dryRun && !options.wait)
    unhealthy = await waitFor(desired, true);
  const notHealthy = unhealthy.length > 0 ? 'not run: the app did not become healthy' : undefined;
  if (await runHooks(hooks.PostSync, failed ? 'not run: the sync failed' : notHealthy)) failed = true;
  // SyncFail hooks when the sync failed, or its PostSync hooks could not run (Argo CD's SyncFail).
  if ((failed || (notHealthy && hooks.PostSync.length > 0)) && !options.dryRun)
    await runHooks(hooks.SyncFail);
  return finish(failed, unhealthy, error);
}
