/**
 * A set of field paths as a trie, the in-memory form of structured-merge-diff's `fieldpath.Set`.
 *
 * Each edge is a path element in its serialized form: `f:<field>`, `k:<json of key fields>`,
 * `v:<json value>` (or `i:<index>`, read but never produced). A node is a member when the path
 * leading to it is itself in the set; nodes that are neither members nor have children are never
 * stored, so `isEmpty()` on the root is the emptiness of the whole set.
 */
import { compareStrings, compareValues, isObj } from './values';

export class FieldSet {
  member = false;
  children: Map<string, FieldSet> | undefined = undefined;

  get(el: string): FieldSet | undefined {
    return this.children?.get(el);
  }

  ensure(el: string): FieldSet {
    if (this.children === undefined) this.children = new Map();
    let child = this.children.get(el);
    if (child === undefined) {
      child = new FieldSet();
      this.children.set(el, child);
    }
    return child;
  }

  /** The node at `path`, created as needed. */
  ensurePath(path: readonly string[]): FieldSet {
    let node: FieldSet = this;
    for (const el of path) node = node.ensure(el);
    return node;
  }

  nodeAt(path: readonly string[]): FieldSet | undefined {
    let node: FieldSet | undefined = this;
    for (const el of path) {
      node = node.children?.get(el);
      if (node === undefined) return undefined;
    }
    return node;
  }

  has(path: readonly string[]): boolean {
    return this.nodeAt(path)?.member === true;
  }

  isEmpty(): boolean {
    return !this.member && (this.children === undefined || this.children.size === 0);
  }

  equals(other: FieldSet): boolean {
    if (this.member !== other.member) return false;
    const a = this.children;
    const b = other.children;
    if ((a?.size ?? 0) !== (b?.size ?? 0)) return false;
    if (a === undefined || b === undefined) return true;
    for (const [el, child] of a) {
      const o = b.get(el);
      if (o === undefined || !child.equals(o)) return false;
    }
    return true;
  }

  clone(): FieldSet {
    const out = new FieldSet();
    out.member = this.member;
    if (this.children) {
      out.children = new Map();
      for (const [el, child] of this.children) out.children.set(el, child.clone());
    }
    return out;
  }

  /** Adds every path of `other` to this set. */
  addAll(other: FieldSet): void {
    if (other.member) this.member = true;
    if (other.children) for (const [el, child] of other.children) this.ensure(el).addAll(child);
  }

  /** Removes every path of `other` from this set (descendants of a removed path stay); true if anything changed. */
  subtract(other: FieldSet): boolean {
    let changed = false;
    if (other.member && this.member) {
      this.member = false;
      changed = true;
    }
    if (other.children && this.children) {
      for (const [el, oc] of other.children) {
        const child = this.children.get(el);
        if (child === undefined) continue;
        if (child.subtract(oc)) changed = true;
        if (child.isEmpty()) this.children.delete(el);
      }
    }
    return changed;
  }

  /** Removes, for every member path of `other`, that path and everything below it; true if anything changed. */
  removeSubtrees(other: FieldSet): boolean {
    let changed = false;
    if (other.children && this.children) {
      for (const [el, oc] of other.children) {
        const child = this.children.get(el);
        if (child === undefined) continue;
        if (oc.member) {
          this.children.delete(el);
          changed = true;
          continue;
        }
        if (child.removeSubtrees(oc)) changed = true;
        if (child.isEmpty()) this.children.delete(el);
      }
    }
    return changed;
  }

  /** Removes one member path (not its descendants); true if it was a member. */
  removeMember(path: readonly string[], from = 0): boolean {
    if (from === path.length) {
      const was = this.member;
      this.member = false;
      return was;
    }
    const el = path[from] ?? '';
    const child = this.children?.get(el);
    if (child === undefined) return false;
    const removed = child.removeMember(path, from + 1);
    if (child.isEmpty()) this.children?.delete(el);
    return removed;
  }

  /** Every member path, each as its list of elements, in element order. */
  members(): string[][] {
    const out: string[][] = [];
    const walk = (node: FieldSet, prefix: string[]): void => {
      if (node.member && prefix.length > 0) out.push(prefix);
      if (!node.children) return;
      const els = [...node.children.keys()].sort(compareElements);
      for (const el of els) {
        const child = node.children.get(el);
        if (child) walk(child, [...prefix, el]);
      }
    };
    walk(this, []);
    return out;
  }
}

export function fieldElement(name: string): string {
  return `f:${name}`;
}

export function valueElement(v: unknown): string {
  return `v:${JSON.stringify(v)}`;
}

/**
 * The `k:` element of a keyed list item, its key fields sorted by name as structured-merge-diff
 * sorts them; undefined when the item is not an object or lacks a key field.
 */
export function keyElement(
  item: unknown,
  keys: readonly string[],
  defaults?: Readonly<Record<string, unknown>>,
): string | undefined {
  if (!isObj(item)) return undefined;
  const sorted = keys.length > 1 ? [...keys].sort(compareStrings) : keys;
  let out = 'k:{';
  for (let i = 0; i < sorted.length; i++) {
    const k = sorted[i] ?? '';
    const v = item[k] ?? defaults?.[k];
    if (v === undefined) return undefined;
    out += `${i > 0 ? ',' : ''}${JSON.stringify(k)}:${JSON.stringify(v)}`;
  }
  return `${out}}`;
}

function parseJson(s: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(s) };
  } catch {
    return { ok: false };
  }
}

function elementRank(el: string): number {
  switch (el.charCodeAt(0)) {
    case 102: // f
      return 0;
    case 107: // k
      return 1;
    case 118: // v
      return 2;
    case 105: // i
      return 3;
    default:
      return 4;
  }
}

/**
 * structured-merge-diff's `PathElement.Compare`: fields by name, then keys, then values, then
 * indices; keys and values compare as values, not as their JSON text.
 */
export function compareElements(a: string, b: string): number {
  const ra = elementRank(a);
  const rb = elementRank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 0 || ra === 4) return compareStrings(a, b);
  if (ra === 3) return Number(a.slice(2)) - Number(b.slice(2));
  const pa = parseJson(a.slice(2));
  const pb = parseJson(b.slice(2));
  if (!pa.ok || !pb.ok) return compareStrings(a, b);
  if (ra === 2) return compareValues(pa.value, pb.value);
  return compareKeys(pa.value, pb.value);
}

/** `value.FieldList.Compare` over the (already sorted) key fields of two `k:` elements. */
function compareKeys(a: unknown, b: unknown): number {
  if (!isObj(a) || !isObj(b)) return compareValues(a, b);
  const ak = Object.keys(a);
  const bk = Object.keys(b);
  for (let i = 0; i < ak.length && i < bk.length; i++) {
    const ka = ak[i] ?? '';
    const kb = bk[i] ?? '';
    const c = compareStrings(ka, kb) || compareValues(a[ka], b[kb]);
    if (c !== 0) return c;
  }
  return ak.length - bk.length;
}

function valueToString(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** A path as Kubernetes prints it in conflicts: `.spec.containers[name="nginx"].image`, `.finalizers[="a"]`. */
export function formatPath(path: readonly string[]): string {
  let out = '';
  for (const el of path) {
    const body = el.slice(2);
    switch (el.charCodeAt(0)) {
      case 102:
        out += `.${body}`;
        break;
      case 107: {
        const parsed = parseJson(body);
        if (parsed.ok && isObj(parsed.value)) {
          const fields = parsed.value;
          out += `[${Object.keys(fields)
            .map((k) => `${k}=${valueToString(fields[k])}`)
            .join(',')}]`;
        } else out += `[${body}]`;
        break;
      }
      case 118: {
        const parsed = parseJson(body);
        out += `[=${parsed.ok ? valueToString(parsed.value) : body}]`;
        break;
      }
      default:
        out += `[${body}]`;
    }
  }
  return out;
}
