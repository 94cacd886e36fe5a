/**
 * FieldsV1, the JSON trie Kubernetes stores in `managedFields[].fieldsV1`: a member with children
 * carries `".": {}`, a member without children is `{}`. Keys are written in structured-merge-diff's
 * order (`.` first, then fields by name, keys, values, indices) so the output matches the bytes a
 * real API server returns.
 */
import type { Obj } from '../schema';
import { compareElements, FieldSet } from './fieldset';
import { isObj } from './values';

export function toFieldsV1(set: FieldSet): Obj {
  return encodeChildren(set, false);
}

function encodeChildren(node: FieldSet, includeSelf: boolean): Obj {
  const out: Obj = {};
  const children = node.children;
  if (children === undefined || children.size === 0) return out;
  if (includeSelf && node.member) out['.'] = {};
  const els = children.size === 1 ? children.keys() : [...children.keys()].sort(compareElements);
  for (const el of els) {
    const child = children.get(el);
    if (child) out[el] = encodeChildren(child, true);
  }
  return out;
}

const KNOWN_PREFIX = /^[fkvi]:/;

/**
 * Reads a FieldsV1 value. As in structured-merge-diff, elements of an unknown kind are dropped and a
 * node with no children is a member.
 */
export function fromFieldsV1(v: unknown): FieldSet {
  const root = new FieldSet();
  if (isObj(v)) decodeInto(root, v);
  return root;
}

function decodeInto(node: FieldSet, v: Obj): void {
  for (const el in v) {
    if (el === '.') {
      node.member = true;
      continue;
    }
    if (!KNOWN_PREFIX.test(el)) continue;
    const child = node.ensure(el);
    const cv = v[el];
    if (isObj(cv)) decodeInto(child, cv);
    if (child.children === undefined || child.children.size === 0) child.member = true;
  }
}
