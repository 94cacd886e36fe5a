/**
 * The path format of drift findings: `.spec.replicas`, `.metadata.labels["app.kubernetes.io/name"]`,
 * `.spec.template.spec.containers[name=web].image`, `.spec.args[2]`, and `[=value]` for an item of a
 * set-like list. Close to what kubectl prints for conflicts, but with unquoted plain key values, so
 * the common case reads as people write it.
 */

const PLAIN_FIELD = /^[A-Za-z0-9_-]+$/;

/** `.name`, or `["key.with/special chars"]` when the key would not read back as one field. */
export function fieldSegment(key: string): string {
  return PLAIN_FIELD.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

export function indexSegment(index: number): string {
  return `[${index}]`;
}

// Starts with a letter, `_` or `/` so a string never reads as a number (`"80"` vs 80), and holds
// none of the characters that delimit the segment (`,` `=` `]`) or need escaping.
const PLAIN_VALUE = /^[A-Za-z_/][A-Za-z0-9_.:/@+-]*$/;

export function formatValue(value: unknown): string {
  if (typeof value === 'string' && PLAIN_VALUE.test(value)) return value;
  return JSON.stringify(value) ?? String(value);
}

/** `[name=web]`, `[port=53,protocol=UDP]`: a keyed list item. */
export function keySegment(fields: readonly (readonly [string, unknown])[]): string {
  return `[${fields.map(([name, value]) => `${name}=${formatValue(value)}`).join(',')}]`;
}

/** `[=value]`: an item of a list of scalars treated as a set (FieldsV1 `v:` elements). */
export function valueSegment(value: unknown): string {
  return `[=${formatValue(value)}]`;
}
