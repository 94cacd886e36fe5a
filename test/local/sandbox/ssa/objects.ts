/** Builders and helpers shared by the SSA tests. */
import { builtinSchema, type Obj } from '../../../../lib/local/sandbox/schema';
import {
  type ApplyOptions,
  formatPath,
  fromFieldsV1,
  type ManagedFieldsEntry,
  serverSideApply,
  trackUpdate,
  type UpdateOptions,
} from '../../../../lib/local/sandbox/ssa';

export const T0 = '2024-05-01T10:00:00Z';
export const T1 = '2024-05-01T10:01:00Z';
export const T2 = '2024-05-01T10:02:00Z';

export function configMap(data: Record<string, string>, labels?: Record<string, string>): Obj {
  const metadata: Obj = { name: 'settings', namespace: 'default' };
  if (labels) metadata.labels = labels;
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata, data };
}

export interface ContainerSpec {
  name: string;
  image: string;
  ports?: number[];
  env?: Record<string, string>;
}

export function container(c: ContainerSpec): Obj {
  const out: Obj = { name: c.name, image: c.image };
  if (c.ports) out.ports = c.ports.map((containerPort) => ({ containerPort, protocol: 'TCP' }));
  if (c.env) out.env = Object.entries(c.env).map(([name, value]) => ({ name, value }));
  return out;
}

export function deployment(opts: {
  replicas?: number;
  labels?: Record<string, string>;
  containers: ContainerSpec[];
}): Obj {
  const spec: Obj = {
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { containers: opts.containers.map(container) },
    },
  };
  if (opts.replicas !== undefined) spec.replicas = opts.replicas;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: opts.labels ?? { app: 'web' } },
    spec,
  };
}

export function apply(
  live: Obj | undefined,
  applied: Obj,
  manager: string,
  opts: Partial<ApplyOptions> = {},
): Obj {
  return serverSideApply({
    live,
    applied,
    manager,
    force: false,
    apiVersion: String(applied.apiVersion),
    schema: builtinSchema,
    now: T0,
    ignoreStatus: true,
    ...opts,
  });
}

export function update(
  live: Obj | undefined,
  updated: Obj,
  manager: string,
  opts: Partial<UpdateOptions> = {},
): Obj {
  return trackUpdate({
    live,
    updated,
    manager,
    apiVersion: String(updated.apiVersion),
    schema: builtinSchema,
    now: T0,
    ignoreStatus: true,
    ...opts,
  });
}

export function entries(obj: Obj): ManagedFieldsEntry[] {
  const metadata = obj.metadata as Obj | undefined;
  return (metadata?.managedFields as ManagedFieldsEntry[] | undefined) ?? [];
}

export function entryOf(
  obj: Obj,
  manager: string,
  operation?: 'Apply' | 'Update',
): ManagedFieldsEntry | undefined {
  return entries(obj).find(
    (e) => e.manager === manager && (operation === undefined || e.operation === operation),
  );
}

/** The paths a manager owns, as Kubernetes prints them. */
export function owned(obj: Obj, manager: string, operation?: 'Apply' | 'Update'): string[] {
  const e = entryOf(obj, manager, operation);
  return e ? fromFieldsV1(e.fieldsV1).members().map(formatPath) : [];
}

/** Copies of the object with managedFields removed, for comparing contents. */
export function withoutManagedFields(obj: Obj): Obj {
  const metadata = { ...(obj.metadata as Obj) };
  delete metadata.managedFields;
  return { ...obj, metadata };
}

export function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const child of Object.values(v)) deepFreeze(child);
  }
  return v;
}

/** Whether any object or array inside `v` is frozen, i.e. shared with a frozen input. */
export function containsFrozen(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  return Object.isFrozen(v) || Object.values(v).some(containsFrozen);
}

export function containers(obj: Obj): Obj[] {
  const spec = obj.spec as Obj;
  const template = spec.template as Obj;
  return (template.spec as Obj).containers as Obj[];
}
