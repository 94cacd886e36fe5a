import { PatchError } from './errors';
import { cloneJson, isObject, type JsonObject, setOwn } from './json-value';

/**
 * Applies a JSON merge patch (RFC 7396): objects merge key by key, `null` removes a key, and
 * any other patch value replaces the target. The result shares no structure with the inputs,
 * so the caller may mutate it.
 */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (patch === undefined) throw new PatchError('merge patch is empty');
  return merge(target, patch);
}

function merge(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return cloneJson(patch);
  const out: JsonObject = {};
  const base = isObject(target) ? target : undefined;
  if (base) {
    // Keep the target's key order; keys new in the patch follow in the patch's order.
    for (const key of Object.keys(base)) {
      if (!Object.hasOwn(patch, key)) setOwn(out, key, cloneJson(base[key]));
      else if (patch[key] !== null) setOwn(out, key, merge(base[key], patch[key]));
    }
  }
  for (const key of Object.keys(patch)) {
    if (base && Object.hasOwn(base, key)) continue;
    const value = patch[key];
    if (value !== null) setOwn(out, key, merge(undefined, value));
  }
  return out;
}
