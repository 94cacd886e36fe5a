import { CanonicalJsonError } from './errors';

/** Deeper values are refused rather than risking a stack overflow on a cyclic or hostile value. */
const MAX_DEPTH = 256;

/**
 * Canonical JSON (RFC 8785, JCS, for the values we hash): object keys sorted by UTF-16 code units,
 * no whitespace, numbers in ECMAScript's shortest round-trip form (`-0` is `0`), strings escaped as
 * `JSON.stringify` escapes them. Object members whose value is `undefined` are dropped; anything
 * else JSON cannot carry (NaN, Infinity, undefined in an array, bigint, Date, Map) is refused, so two
 * different values never share a form by accident. See docs/adr/0006-audit-chain.md.
 */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  write(value, out, '$', 0);
  return out.join('');
}

function write(value: unknown, out: string[], path: string, depth: number): void {
  if (depth > MAX_DEPTH) throw new CanonicalJsonError(`${path}: nested deeper than ${MAX_DEPTH} levels`);
  if (value === null) {
    out.push('null');
    return;
  }
  switch (typeof value) {
    case 'string':
      out.push(JSON.stringify(value));
      return;
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError(`${path}: ${value} is not a finite number`);
      out.push(JSON.stringify(value));
      return;
    case 'object':
      if (Array.isArray(value)) writeArray(value, out, path, depth);
      else writeObject(value, out, path, depth);
      return;
    default:
      throw new CanonicalJsonError(`${path}: a ${typeof value} has no JSON form`);
  }
}

function writeArray(value: readonly unknown[], out: string[], path: string, depth: number): void {
  out.push('[');
  for (let i = 0; i < value.length; i++) {
    if (i > 0) out.push(',');
    const item = value[i];
    if (item === undefined) throw new CanonicalJsonError(`${path}[${i}]: undefined in an array`);
    write(item, out, `${path}[${i}]`, depth + 1);
  }
  out.push(']');
}

function writeObject(value: object, out: string[], path: string, depth: number): void {
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null)
    throw new CanonicalJsonError(
      `${path}: a ${value.constructor?.name ?? 'non-plain object'} has no JSON form`,
    );
  const record = value as Record<string, unknown>;
  // Array.prototype.sort compares UTF-16 code units, which is the order RFC 8785 prescribes.
  const keys = Object.keys(record)
    .filter((k) => record[k] !== undefined)
    .sort();
  out.push('{');
  keys.forEach((key, i) => {
    if (i > 0) out.push(',');
    out.push(JSON.stringify(key), ':');
    write(record[key], out, `${path}.${key}`, depth + 1);
  });
  out.push('}');
}
