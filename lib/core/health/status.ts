/** Readers for the loosely typed `status` of a live object: a missing or mistyped field is absent. */
import { isObj, type Obj } from '../manifests/object';

export type HealthStatus = 'Healthy' | 'Progressing' | 'Degraded';

export interface Health {
  status: HealthStatus;
  /** One line for people, naming the numbers: `1 of 3 updated replicas are available`. */
  message: string;
}

export function healthy(message: string): Health {
  return { status: 'Healthy', message };
}

export function progressing(message: string): Health {
  return { status: 'Progressing', message };
}

export function degraded(message: string): Health {
  return { status: 'Degraded', message };
}

/** The value at a path of nested maps. */
export function at(value: unknown, ...path: readonly string[]): unknown {
  let here = value;
  for (const key of path) {
    if (!isObj(here)) return undefined;
    here = here[key];
  }
  return here;
}

export function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

/** The first `status.conditions` entry of `type`, or undefined. */
export function condition(object: Obj, type: string): Condition | undefined {
  const list = at(object, 'status', 'conditions');
  if (!Array.isArray(list)) return undefined;
  const found: unknown = list.find((c) => isObj(c) && c.type === type);
  if (!isObj(found)) return undefined;
  return {
    type,
    status: str(found.status) ?? 'Unknown',
    reason: str(found.reason) ?? '',
    message: str(found.message) ?? '',
  };
}

export function isTrue(object: Obj, type: string): boolean {
  return condition(object, type)?.status === 'True';
}

/** `reason: message`, or whichever of the two is set. */
export function explain(c: Condition): string {
  return [c.reason, c.message].filter((part) => part !== '').join(': ');
}

/**
 * Progressing while the controller has not yet seen the latest spec: whatever else the status says
 * describes an older generation. `required` counts a missing observedGeneration as stale, for the
 * built-in controllers that always write it.
 */
export function staleGeneration(object: Obj, required: boolean): Health | undefined {
  const generation = num(at(object, 'metadata', 'generation'));
  if (generation === undefined) return undefined;
  const observed = num(at(object, 'status', 'observedGeneration'));
  if (observed === undefined && !required) return undefined;
  if (observed !== undefined && observed >= generation) return undefined;
  return progressing(
    `waiting for the controller to observe generation ${generation} (observed ${observed ?? 'none'})`,
  );
}
