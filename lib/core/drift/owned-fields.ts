/**
 * Fields Plumbline owns live that the desired manifest no longer sets: the next server-side apply
 * removes them (or hands them to a co-owner), so a plan must count the object as changed even when
 * every declared field already matches.
 *
 * FieldsV1 is the trie Kubernetes stores in `metadata.managedFields[].fieldsV1`: each key is a path
 * element, `f:<field>`, `k:<json of the key fields>` (an item of a keyed list), `v:<json value>` (an
 * item of a set) or `i:<index>`, and `.` marks that the node itself is owned as well as its children.
 */
import { isObj, type Obj } from '../manifests/object';
import { FieldsV1Error } from './errors';
import { matchesKey } from './list-keys';
import { fieldSegment, indexSegment, keySegment, valueSegment } from './paths';

/** Only these children of `f:metadata` are the manifest's content; the rest is identity and server-owned. */
const METADATA_FIELDS = new Set(['f:labels', 'f:annotations']);

/**
 * The paths (FieldDiff format) that the manager whose entry `fieldsV1` is owns but `desired` does
 * not set, each at the top-most missing node the manager owns itself (so a dropped map whose keys
 * the manager owns one by one is reported key by key). Ignores `f:status` and metadata other than
 * labels and annotations. Throws FieldsV1Error for anything that is not a FieldsV1 trie: an empty
 * answer for bad input would read as "nothing to remove".
 */
export function ownedFieldsMissing(fieldsV1: unknown, desired: Obj): string[] {
  const walker = new Walker(subjectOf(desired));
  const root = walker.node(fieldsV1, '');
  const missing: string[] = [];
  for (const [element, child] of Object.entries(root)) {
    if (element === '.') {
      walker.node(child, '');
      continue;
    }
    if (element === 'f:status') {
      walker.validate(child, '.status');
      continue;
    }
    if (element !== 'f:metadata') {
      walker.walk(element, child, desired, '', missing);
      continue;
    }
    const metadata = walker.node(child, '.metadata');
    for (const [metaElement, metaChild] of Object.entries(metadata)) {
      if (METADATA_FIELDS.has(metaElement))
        walker.walk(metaElement, metaChild, desired.metadata, '.metadata', missing);
      else walker.validate({ [metaElement]: metaChild }, '.metadata');
    }
  }
  return missing;
}

function subjectOf(desired: Obj): string {
  const meta = isObj(desired.metadata) ? desired.metadata : {};
  const parts = [desired.kind, meta.namespace, meta.name].filter(
    (part) => typeof part === 'string' && part !== '',
  );
  return parts.length > 0 ? parts.join('/') : 'object';
}

/** Stands for a field the manifest sets to null: present, with nothing under it. */
const DECLARED_NULL: Readonly<Obj> = Object.freeze({});

interface Element {
  /** The path segment the element adds. */
  segment: string;
  /** The desired value at the element, undefined when the manifest does not set it. */
  find(parent: unknown): unknown;
}

class Walker {
  constructor(private readonly subject: string) {}

  node(value: unknown, path: string): Obj {
    if (!isObj(value)) throw new FieldsV1Error(this.subject, path, `want an object, got ${describe(value)}`);
    return value;
  }

  walk(element: string, child: unknown, parent: unknown, path: string, missing: string[]): void {
    const { segment, find } = this.element(element, path);
    const here = path + segment;
    const node = this.node(child, here);
    const value = find(parent);
    const names = Object.keys(node);
    // A node is owned itself when it is a leaf or carries `.`; otherwise only its children are, and
    // a dropped parent is reported child by child, as precisely as the manager owns it.
    if ((value === undefined || value === null) && (names.length === 0 || names.includes('.'))) {
      // Still read the subtree: a corrupt entry must fail loudly even where the manifest is silent.
      this.validate(node, here);
      missing.push(here);
      return;
    }
    for (const name of names) {
      if (name === '.') this.node(node[name], here);
      else this.walk(name, node[name], value, here, missing);
    }
  }

  validate(child: unknown, path: string): void {
    for (const [name, grandchild] of Object.entries(this.node(child, path))) {
      if (name === '.') this.node(grandchild, path);
      else this.validate(grandchild, path + this.element(name, path).segment);
    }
  }

  private element(element: string, path: string): Element {
    const body = element.slice(2);
    switch (element.slice(0, 2)) {
      case 'f:':
        if (body === '') break;
        return {
          segment: fieldSegment(body),
          find: (parent) => {
            if (!isObj(parent)) return undefined;
            const value = parent[body];
            // A declared null is declared: server-side apply owns it (`creationTimestamp: null`, which
            // generated manifests carry, is f:creationTimestamp in the applier's managedFields).
            return value === null && Object.hasOwn(parent, body) ? DECLARED_NULL : value;
          },
        };
      case 'k:': {
        const key = this.json(body, element, path);
        if (!isObj(key) || Object.keys(key).length === 0) break;
        const fields = Object.entries(key);
        return {
          segment: keySegment(fields),
          find: (parent) =>
            Array.isArray(parent) ? parent.find((item) => matchesKey(item, fields)) : undefined,
        };
      }
      case 'v:': {
        const wanted = this.json(body, element, path);
        return {
          segment: valueSegment(wanted),
          find: (parent) =>
            Array.isArray(parent) ? parent.find((item) => deepEqual(item, wanted)) : undefined,
        };
      }
      case 'i:':
        if (!/^\d+$/.test(body)) break;
        return {
          segment: indexSegment(Number(body)),
          find: (parent) => (Array.isArray(parent) ? parent[Number(body)] : undefined),
        };
    }
    throw new FieldsV1Error(this.subject, path, `unknown path element ${JSON.stringify(element)}`);
  }

  private json(text: string, element: string, path: string): unknown {
    try {
      return JSON.parse(text);
    } catch (error: unknown) {
      throw new FieldsV1Error(this.subject, path, `path element ${JSON.stringify(element)} is not JSON`, {
        cause: error,
      });
    }
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : typeof value;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a))
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (!isObj(a) || !isObj(b)) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => k in b && deepEqual(a[k], b[k]));
}
