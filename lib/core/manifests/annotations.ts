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

/** The field manager of every Plumbline apply. */
export const FIELD_MANAGER = 'plumbline';
