/** Labels Plumbline puts on every object it applies, so drift checks and prune can list them. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'plumbline';
export const APP_LABEL = 'plumbline.dev/app';

/** Annotations users put on manifests. */
export const SYNC_WAVE_ANNOTATION = 'plumbline.dev/sync-wave';
/** Argo CD's wave: read when `plumbline.dev/sync-wave` is absent (docs/adr/0024). */
export const ARGO_SYNC_WAVE_ANNOTATION = 'argocd.argoproj.io/sync-wave';
/** Argo CD's hook phases, comma-separated: PreSync, Sync, PostSync, SyncFail, Skip. */
export const ARGO_HOOK_ANNOTATION = 'argocd.argoproj.io/hook';
/** Argo CD's hook delete policies, comma-separated: HookSucceeded, HookFailed, BeforeHookCreation. */
export const ARGO_HOOK_DELETE_POLICY_ANNOTATION = 'argocd.argoproj.io/hook-delete-policy';
/** Helm's hook events, comma-separated: pre-install, post-upgrade, test, ... */
export const HELM_HOOK_ANNOTATION = 'helm.sh/hook';
/** Helm's hook weight: the wave of an object that has no sync-wave annotation, as Argo CD reads it. */
export const HELM_HOOK_WEIGHT_ANNOTATION = 'helm.sh/hook-weight';
/** Helm's hook delete policies: before-hook-creation, hook-succeeded, hook-failed. */
export const HELM_HOOK_DELETE_POLICY_ANNOTATION = 'helm.sh/hook-delete-policy';
/**
 * The label a hook carries instead of APP_LABEL, naming its app: hooks are not listed as the app's
 * objects, so they are never in its inventory, its drift or its orphans.
 */
export const HOOK_LABEL = 'plumbline.dev/hook-of';

/**
 * Whether an object is a hook (it may then be named by generateName). Helm's `crd-install` is not:
 * Helm 2 used the annotation to mark CRDs, which Argo CD and Plumbline apply as ordinary objects.
 */
export function hasHookAnnotation(annotations: Record<string, unknown> | undefined): boolean {
  if (!annotations) return false;
  if (annotations[ARGO_HOOK_ANNOTATION] !== undefined) return true;
  const helm = annotations[HELM_HOOK_ANNOTATION];
  return helm !== undefined && helm !== 'crd-install';
}

/** `"true"`: an immutable-field change deletes and recreates the object. */
export const REPLACE_ANNOTATION = 'plumbline.dev/replace';
/** `"disabled"`: never pruned. */
export const PRUNE_ANNOTATION = 'plumbline.dev/prune';
/** `<app>`: this manifest may take the object over from that app, which owns it live. */
export const ADOPT_ANNOTATION = 'plumbline.dev/adopt';

/**
 * The field manager of Plumbline's own state (the inventory), and the one every app shared
 * before each got its own: objects still owned by it are migrated (lib/core/sync/field-managers.ts).
 */
export const FIELD_MANAGER = 'plumbline';

/** The field manager of an app's applies: one per app, so server-side apply reports conflicts between apps. */
export function appFieldManager(app: string): string {
  return `${FIELD_MANAGER}-${app}`;
}
