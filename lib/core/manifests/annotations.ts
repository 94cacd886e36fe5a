/** Labels Plumbline puts on every object it applies, so drift checks and prune can list them. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'plumbline';
export const APP_LABEL = 'plumbline.dev/app';

/** Annotations users put on manifests. */
export const SYNC_WAVE_ANNOTATION = 'plumbline.dev/sync-wave';
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
