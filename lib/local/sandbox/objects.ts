import { randomUUID } from 'node:crypto';
import type { Obj } from './schema';

export function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function metaOf(object: Obj): Obj {
  return isObj(object.metadata) ? object.metadata : {};
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => deepEqual(item, b[i]));
  }
  if (Array.isArray(b)) return false;
  const ak = Object.keys(a);
  const bk = Object.keys(b);
  if (ak.length !== bk.length) return false;
  const bo = b as Obj;
  return ak.every((k) => Object.hasOwn(bo, k) && deepEqual((a as Obj)[k], bo[k]));
}

/** The object without metadata and status: what `generation` tracks. */
export function specPart(object: Obj): Obj {
  const { metadata: _m, status: _s, ...rest } = object;
  return rest;
}

export function newUid(): string {
  return randomUUID();
}

const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** A name from generateName, with the five-character random suffix Kubernetes uses. */
export function generateName(prefix: string): string {
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += SUFFIX_ALPHABET[Math.floor(Math.random() * SUFFIX_ALPHABET.length)];
  return `${prefix}${suffix}`;
}

let cachedSecond = -1;
let cachedIso = '';

/** The current time as Kubernetes prints it (seconds precision), formatted once per second. */
export function nowIso(): string {
  const second = Math.floor(Date.now() / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedIso = `${new Date(second * 1000).toISOString().slice(0, 19)}Z`;
  }
  return cachedIso;
}

/** Reads a dotted path (`spec.template.spec`) from an object. */
export function getPath(object: unknown, path: readonly string[]): unknown {
  let node: unknown = object;
  for (const field of path) {
    if (!isObj(node)) return undefined;
    node = node[field];
  }
  return node;
}
