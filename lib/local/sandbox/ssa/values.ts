/** JSON value helpers shared by the SSA walkers: plain-object test, deep equality, deep copy, ordering. */
import type { Obj } from '../schema';

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function hasKeys(o: Obj): boolean {
  for (const _ in o) return true;
  return false;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ao = a as Obj;
  const bo = b as Obj;
  let n = 0;
  for (const k in ao) {
    if (!Object.hasOwn(bo, k) || !deepEqual(ao[k], bo[k])) return false;
    n++;
  }
  for (const _ in bo) n--;
  return n === 0;
}

/** A deep copy of a JSON value, so results never alias the caller's objects. */
export function clone<T>(v: T): T {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) return v.map(clone) as T;
  const out: Obj = {};
  for (const k in v as Obj) out[k] = clone((v as Obj)[k]);
  return out as T;
}

function rank(v: unknown): number {
  if (typeof v === 'number') return 0;
  if (typeof v === 'string') return 1;
  if (typeof v === 'boolean') return 2;
  if (Array.isArray(v)) return 3;
  if (isObj(v)) return 4;
  return 5;
}

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The order of structured-merge-diff's `value.Compare`: numbers, strings, bools, lists, maps, null. */
export function compareValues(a: unknown, b: unknown): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  switch (ra) {
    case 0:
      return (a as number) - (b as number);
    case 1:
      return compareStrings(a as string, b as string);
    case 2:
      return Number(a) - Number(b);
    case 3: {
      const al = a as unknown[];
      const bl = b as unknown[];
      for (let i = 0; i < al.length && i < bl.length; i++) {
        const c = compareValues(al[i], bl[i]);
        if (c !== 0) return c;
      }
      return al.length - bl.length;
    }
    case 4: {
      const ak = Object.keys(a as Obj).sort(compareStrings);
      const bk = Object.keys(b as Obj).sort(compareStrings);
      for (let i = 0; i < ak.length && i < bk.length; i++) {
        const ka = ak[i] ?? '';
        const kb = bk[i] ?? '';
        const c = compareStrings(ka, kb) || compareValues((a as Obj)[ka], (b as Obj)[kb]);
        if (c !== 0) return c;
      }
      return ak.length - bk.length;
    }
    default:
      return 0;
  }
}
