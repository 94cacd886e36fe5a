import { APP_LABEL, MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../manifests/annotations';
import { isObj, type KubeObject } from '../manifests/object';
import { AppLabelError } from './errors';
import type { RenderedManifest } from './port';

const APP_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Whether `name` can be an app name: a DNS-1123 label, as the `plumbline.dev/app` label value needs. */
export function isAppName(name: string): boolean {
  return name.length <= 63 && APP_NAME.test(name);
}

/**
 * A copy of `object` carrying Plumbline's two labels (`app.kubernetes.io/managed-by: plumbline`,
 * `plumbline.dev/app: <app>`), the same ones the sync engine sets (lib/core/sync/desired.ts), so
 * that `plumbline render` shows what a sync applies. A `plumbline.dev/app` label naming another
 * app is refused.
 */
export function withAppLabels(object: KubeObject, app: string, where = ''): KubeObject {
  const labels: Record<string, string> = { ...(isObj(object.metadata.labels) ? object.metadata.labels : {}) };
  const declared = labels[APP_LABEL];
  if (declared !== undefined && declared !== app) {
    const prefix = where === '' ? '' : `${where}: `;
    throw new AppLabelError(
      `${prefix}label ${APP_LABEL}="${String(declared)}" contradicts the app name "${app}"`,
    );
  }
  labels[MANAGED_BY_LABEL] = MANAGED_BY_VALUE;
  labels[APP_LABEL] = app;
  return { ...object, metadata: { ...object.metadata, labels } };
}

/** Every manifest with Plumbline's labels for `app` (see withAppLabels); sources stay as they are. */
export function labelManifests(manifests: readonly RenderedManifest[], app: string): RenderedManifest[] {
  if (!isAppName(app)) {
    throw new AppLabelError(`invalid app name "${app}": use lowercase letters, digits and '-' (at most 63)`);
  }
  return manifests.map((m) => ({
    ...m,
    object: withAppLabels(m.object, app, `${m.source.file} (document ${m.source.document})`),
  }));
}
