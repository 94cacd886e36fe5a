/**
 * Ignore rules (`ignoreDifferences` in plumbline.yaml, spelled as Argo CD spells them): fields of an
 * app's objects that drift, the unchanged check and the apply leave to whoever sets them live — a
 * chart's random password, the replicas an autoscaler owns.
 *
 * One transform serves all three: where a rule matches, the desired object takes the live value of
 * each ignored field (and loses an ignored field the live object lacks). Compared with live, it
 * shows no difference there; applied, it writes back what is live, so the apply never moves the
 * field, and the app never drops a field it owns (which would delete it). Argo CD's
 * `RespectIgnoreDifferences` works the same way. An object not yet live is created as rendered.
 */
import { ADOPT_ANNOTATION, APP_LABEL, HOOK_LABEL, MANAGED_BY_LABEL } from '../manifests/annotations';
import { groupOf, isObj, type KubeObject, type Obj } from '../manifests/object';
import { matchesKey } from './list-keys';

/** One rule: which objects (kind required; group, name, namespace narrow it) and which fields. */
export interface IgnoreRule {
  /** The API group; omitted or `*`: any group. */
  readonly group?: string;
  /** `*`: any kind. */
  readonly kind: string;
  readonly name?: string;
  readonly namespace?: string;
  /** RFC 6901 pointers, `/spec/replicas`, `/data/auth`, `/metadata/annotations/a~1b`. */
  readonly jsonPointers?: readonly string[];
  /** Every field these managers own live (`metadata.managedFields`), e.g. `kube-controller-manager`. */
  readonly managedFieldsManagers?: readonly string[];
}

/** Identity and server-owned parts that no rule may hand to live values. */
const FIXED =
  /^\/(apiVersion|kind|status|metadata\/(name|namespace|uid|resourceVersion|managedFields))(\/|$)/;

/** Why a pointer is unusable, or undefined: it must start with `/`, escape with ~0/~1 only, and name no identity field. */
export function pointerProblem(pointer: string): string | undefined {
  if (!pointer.startsWith('/') || pointer === '/')
    return 'must be a JSON pointer to a field, such as /spec/replicas';
  if (/~[^01]|~$/.test(pointer)) return 'has a ~ not followed by 0 or 1 (write ~0 for ~ and ~1 for /)';
  if (FIXED.test(pointer)) return 'names an identity or server-owned field, which cannot be ignored';
  if (touchesOwnership(tokens(pointer)))
    return `holds Plumbline's ownership labels or the ${ADOPT_ANNOTATION} annotation, which cannot be ignored`;
  return undefined;
}

/**
 * Labels and annotation that say which app owns an object: taken from live, they would let an app
 * apply another app's label (or adopt marker) and so claim, or hand over, what it does not own.
 */
const OWNERSHIP: Readonly<Record<string, readonly string[]>> = {
  labels: [APP_LABEL, MANAGED_BY_LABEL, HOOK_LABEL],
  annotations: [ADOPT_ANNOTATION],
};

/** Whether a pointer (as tokens) is, or contains, an ownership label or annotation. */
function touchesOwnership(path: readonly string[]): boolean {
  if (path[0] !== 'metadata') return false;
  if (path.length === 1) return true;
  if (!Object.hasOwn(OWNERSHIP, path[1] as string)) return false;
  const keys = OWNERSHIP[path[1] as string] ?? [];
  return path.length === 2 || keys.includes(path[2] as string);
}

/** Puts back `rendered`'s ownership labels and annotation, whatever a manager's fields took from live. */
function keepOwnership(out: KubeObject, rendered: KubeObject): void {
  const meta = out.metadata as Obj;
  for (const [field, keys] of Object.entries(OWNERSHIP)) {
    const from = (rendered.metadata as Obj)[field];
    for (const key of keys) {
      const value = isObj(from) ? from[key] : undefined;
      const target = meta[field];
      if (isObj(target)) {
        if (value === undefined) delete target[key];
        else target[key] = value;
      } else if (value !== undefined) meta[field] = { [key]: value };
    }
  }
}

function tokens(pointer: string): string[] {
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function ruleMatches(rule: IgnoreRule, object: KubeObject): boolean {
  const { metadata } = object;
  if (rule.kind !== '*' && rule.kind !== object.kind) return false;
  if (rule.group !== undefined && rule.group !== '*' && rule.group !== groupOf(object.apiVersion))
    return false;
  if (rule.name !== undefined && rule.name !== metadata.name) return false;
  return rule.namespace === undefined || rule.namespace === (metadata.namespace ?? '');
}

/** The rules of `rules` that concern `object`. */
export function rulesFor(rules: readonly IgnoreRule[] | undefined, object: KubeObject): IgnoreRule[] {
  return (rules ?? []).filter((rule) => ruleMatches(rule, object));
}

type Container = Obj | unknown[];

function child(parent: unknown, token: string): unknown {
  if (Array.isArray(parent)) return /^\d+$/.test(token) ? parent[Number(token)] : undefined;
  return isObj(parent) && Object.hasOwn(parent, token) ? parent[token] : undefined;
}

function put(parent: Container, token: string, value: unknown): void {
  if (Array.isArray(parent)) parent[Number(token)] = value;
  else parent[token] = value;
}

function remove(parent: Container, token: string): void {
  // An index removed from an atomic list would shift the rest: leave lists whole.
  if (!Array.isArray(parent)) delete parent[token];
}

/** Sets the desired field at `pointer` to its live value, or removes it when the live object has none. */
function takePointer(desired: Obj, live: Obj, pointer: string): void {
  const path = tokens(pointer);
  let d: unknown = desired;
  let l: unknown = live;
  for (const token of path.slice(0, -1)) {
    d = child(d, token);
    l = child(l, token);
    if (d === undefined || d === null || typeof d !== 'object') return;
  }
  const last = path[path.length - 1] as string;
  if (child(d, last) === undefined) return;
  const liveValue = child(l, last);
  if (liveValue === undefined) remove(d as Container, last);
  else put(d as Container, last, structuredClone(liveValue));
}

/**
 * Walks one manager's FieldsV1 trie over desired and live together; at each field it owns outright
 * (a leaf), the desired value becomes the live one. Elements that match nothing on either side are
 * skipped: a corrupt entry ignores nothing rather than everything.
 */
function takeOwned(trie: unknown, desired: unknown, live: unknown): void {
  if (!isObj(trie)) return;
  for (const [element, sub] of Object.entries(trie)) {
    if (element === '.' || element === 'f:status') continue;
    const body = element.slice(2);
    const kind = element.slice(0, 2);
    const leaf = isObj(sub) && Object.keys(sub).every((k) => k === '.');
    if (kind === 'f:' && isObj(desired) && Object.hasOwn(desired, body)) {
      const liveValue = isObj(live) ? live[body] : undefined;
      if (leaf) {
        if (liveValue !== undefined) desired[body] = structuredClone(liveValue);
      } else takeOwned(sub, desired[body], liveValue);
    } else if (kind === 'k:' && Array.isArray(desired) && Array.isArray(live)) {
      let key: unknown;
      try {
        key = JSON.parse(body);
      } catch {
        continue;
      }
      if (!isObj(key)) continue;
      const fields = Object.entries(key);
      const at = desired.findIndex((item) => matchesKey(item, fields));
      const liveItem = live.find((item) => matchesKey(item, fields));
      if (at < 0 || liveItem === undefined) continue;
      if (leaf) desired[at] = structuredClone(liveItem);
      else takeOwned(sub, desired[at], liveItem);
    }
    // `v:` (set items) and `i:` (atomic list indexes) are owned with their whole list, which an
    // `f:` leaf above already took.
  }
}

/**
 * `desired` with the fields the rules ignore taken from `live`; the same object when no rule matches
 * or nothing is live (a create applies what Git declares).
 */
export function withIgnoredFromLive(
  desired: KubeObject,
  live: KubeObject | undefined,
  rules: readonly IgnoreRule[] | undefined,
): KubeObject {
  if (!live) return desired;
  const matching = rulesFor(rules, desired);
  if (matching.length === 0) return desired;
  const out = structuredClone(desired);
  for (const rule of matching) {
    for (const pointer of rule.jsonPointers ?? []) takePointer(out, live, pointer);
    const managers = new Set(rule.managedFieldsManagers ?? []);
    if (managers.size === 0) continue;
    const entries = Array.isArray(live.metadata.managedFields) ? live.metadata.managedFields : [];
    for (const entry of entries)
      if (isObj(entry) && typeof entry.manager === 'string' && managers.has(entry.manager))
        takeOwned(entry.fieldsV1, out, live);
  }
  keepOwnership(out, desired);
  return out;
}
