/**
 * Keeping secret values out of logs, diffs, errors, audit records and events (DESIGN.md "Security
 * invariants"). Values exist in memory during apply; everything written anywhere passes through here.
 */
import type { FieldDiff } from '../drift/compare';
import { groupOf, isObj, type KubeObject, type Obj } from '../manifests/object';

export const MASK = '***';
export const CHANGED_MASK = '*** (changed)';

/**
 * Shorter values are not redacted: a 1–3 character secret ("1", "yes", "dev") occurs everywhere in
 * ordinary text, so masking it would wreck every message while hiding nothing an attacker could not
 * guess.
 */
export const MIN_SECRET_LENGTH = 4;

/** What `kubectl apply` (client-side) stores on the object: the whole manifest, secret values included. */
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

function jsonEscaped(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

/** Go's encoding/json escapes these three, so an API server's JSON shows `<` as `\u003c`. */
function goJsonEscaped(text: string): string {
  return jsonEscaped(text).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

/** Lines of a multi-line value (a PEM key) long enough to identify it: an error may quote one line. */
const MIN_LINE_LENGTH = 16;

/**
 * The forms a value takes in text: as is, base64 (padded and not), inside a JSON string (as
 * JavaScript and as Go write it), inside JSON inside a JSON string (a last-applied annotation in a
 * logged object), and each long line of a multi-line value.
 */
function formsOf(value: string): string[] {
  const base64 = Buffer.from(value, 'utf8').toString('base64');
  const lines = value.includes('\n')
    ? value
        .split(/\r?\n/)
        .map((line) => line.trim())
        .filter((line) => line.length >= MIN_LINE_LENGTH)
    : [];
  return [
    value,
    base64,
    base64.replace(/=+$/, ''),
    jsonEscaped(value),
    goJsonEscaped(value),
    jsonEscaped(jsonEscaped(value)),
    ...lines,
  ];
}

export class Redactor {
  private readonly values = new Set<string>();
  /** Built on first use after a register: registering many values costs one compile, not many. */
  private pattern: RegExp | undefined;

  register(value: string): void {
    if (value.length < MIN_SECRET_LENGTH) return;
    for (const form of formsOf(value)) {
      if (form.length < MIN_SECRET_LENGTH || this.values.has(form)) continue;
      this.values.add(form);
      this.pattern = undefined;
    }
  }

  redact(text: string): string {
    if (this.values.size === 0) return text;
    if (this.pattern === undefined) {
      // Longest first: the alternation takes the first branch that matches at a position, so a value
      // that contains another is masked whole rather than leaving its remainder in the text.
      const sorted = [...this.values].sort((a, b) => b.length - a.length);
      this.pattern = new RegExp(sorted.map(escapeRegExp).join('|'), 'g');
    }
    const pattern = this.pattern;
    let out = text;
    let replaced = true;
    // Masking can join text around a mask into a secret again (a secret that itself contains `***`);
    // every pass shortens the text, so repeating until nothing matches terminates.
    while (replaced) {
      replaced = false;
      out = out.replace(pattern, () => {
        replaced = true;
        return MASK;
      });
    }
    return out;
  }
}

function isCoreSecret(object: Obj): boolean {
  return (
    object.kind === 'Secret' && typeof object.apiVersion === 'string' && groupOf(object.apiVersion) === ''
  );
}

/**
 * A map's values as the API server would print them: strings as they are, and numbers as text
 * (`pin: 4821` unquoted is refused with the value in the message). Booleans are left out: two
 * possible values hide nothing, and masking every "true" would garble unrelated messages.
 */
function stringValues(map: unknown): string[] {
  if (!isObj(map)) return [];
  return Object.values(map).flatMap((v) =>
    typeof v === 'string' ? [v] : typeof v === 'number' ? [String(v)] : [],
  );
}

/**
 * The text of base64 `data`, when it is UTF-8. Binary values (keystores, images) never appear as
 * text, and decoding them would register replacement-character soup that matches innocent output.
 */
function decodedText(base64: string): string | undefined {
  const bytes = Buffer.from(base64, 'base64');
  const text = bytes.toString('utf8');
  return Buffer.from(text, 'utf8').equals(bytes) ? text : undefined;
}

/**
 * Every value of a core Secret a log line could contain: `stringData` values, and `data` values both
 * as stored (base64) and decoded. Empty for every other kind.
 */
export function secretValuesOf(object: KubeObject): string[] {
  if (!isCoreSecret(object)) return [];
  const values = new Set(stringValues(object.stringData));
  for (const base64 of stringValues(object.data)) {
    values.add(base64);
    const text = decodedText(base64);
    if (text !== undefined) values.add(text);
  }
  return [...values];
}

function masked(map: unknown): unknown {
  if (!isObj(map)) return map;
  return Object.fromEntries(Object.keys(map).map((key) => [key, MASK]));
}

/**
 * A copy of a core Secret with every `data` and `stringData` value masked and the last-applied
 * annotation (which repeats them) removed; keys stay, so a reader still sees which entries exist.
 * Other objects are returned as they are.
 */
export function redactObject(object: Obj): Obj {
  if (!isCoreSecret(object)) return object;
  const copy: Obj = { ...object };
  if ('data' in copy) copy.data = masked(copy.data);
  if ('stringData' in copy) copy.stringData = masked(copy.stringData);
  const metadata = copy.metadata;
  if (isObj(metadata) && isObj(metadata.annotations) && LAST_APPLIED in metadata.annotations) {
    const { [LAST_APPLIED]: _dropped, ...annotations } = metadata.annotations;
    copy.metadata = { ...metadata, annotations };
  }
  return copy;
}

const SECRET_PATH = /^\.(data|stringData)([.[]|$)/;
const LAST_APPLIED_PATH = `.metadata.annotations[${JSON.stringify(LAST_APPLIED)}]`;

/**
 * Diffs of a core Secret with the values of `data`, `stringData` and the last-applied annotation
 * replaced by `*** (changed)`; a side that is undefined (missing on that side) stays undefined, so a
 * reader still sees "added" or "removed". Other objects' diffs are returned as they are.
 */
export function redactDiffs(object: Obj, diffs: FieldDiff[]): FieldDiff[] {
  if (!isCoreSecret(object)) return diffs;
  return diffs.map((diff) => {
    if (!SECRET_PATH.test(diff.path) && diff.path !== LAST_APPLIED_PATH) return diff;
    return {
      path: diff.path,
      desired: diff.desired === undefined ? undefined : CHANGED_MASK,
      live: diff.live === undefined ? undefined : CHANGED_MASK,
    };
  });
}
