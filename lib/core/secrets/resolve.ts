import { idOf, isObj, type KubeObject, subjectOf } from '../manifests';
import { SecretResolutionError } from './errors';
import type { SecretStore } from './port';

/** Turns every JSON key of the named secret into the Secret's stringData. */
export const SECRETS_MANAGER_ANNOTATION = 'plumbline.dev/secretsmanager';

const PLACEHOLDER = /\$\{secretsmanager:([^#}]+)#([^}]+)\}/g;
const ANY_PLACEHOLDER = '${secretsmanager:';

export interface SecretOptions {
  /** Every secret name must start with it (default `plumbline/<cluster>/`), checked before any request. */
  readonly prefix: string;
}

export interface ResolvedSecrets {
  readonly objects: KubeObject[];
  /** Every resolved value, for the redactor. */
  readonly values: string[];
}

function isSecret(object: KubeObject): boolean {
  return object.kind === 'Secret' && object.apiVersion === 'v1';
}

/** Refuses a placeholder anywhere outside a Secret's data and stringData values. */
function checkNoStrayPlaceholders(object: KubeObject, inSecret: boolean): void {
  const stack: [unknown, string][] = [[object, '']];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const [value, path] = item;
    if (typeof value === 'string') {
      if (value.includes(ANY_PLACEHOLDER)) {
        throw new SecretResolutionError(
          `${subjectOf(idOf(object))}: a \${secretsmanager:…} placeholder at ${path} — placeholders are resolved only in a Secret's data and stringData values`,
        );
      }
      continue;
    }
    if (Array.isArray(value)) {
      value.forEach((v, i) => {
        stack.push([v, `${path}[${i}]`]);
      });
    } else if (isObj(value)) {
      for (const [k, v] of Object.entries(value)) {
        if (inSecret && path === '' && (k === 'data' || k === 'stringData')) continue;
        stack.push([v, `${path}.${k}`]);
      }
    }
  }
}

function referencedNames(object: KubeObject): string[] {
  const names: string[] = [];
  const annotation = object.metadata.annotations?.[SECRETS_MANAGER_ANNOTATION];
  if (annotation !== undefined) names.push(annotation);
  for (const field of ['data', 'stringData'] as const) {
    const map = object[field];
    if (!isObj(map)) continue;
    for (const value of Object.values(map)) {
      if (typeof value !== 'string') continue;
      for (const match of value.matchAll(PLACEHOLDER)) names.push(match[1] ?? '');
    }
  }
  return names;
}

function parseSecret(text: string): Record<string, string> | string {
  try {
    const parsed: unknown = JSON.parse(text);
    if (isObj(parsed))
      return Object.fromEntries(
        Object.entries(parsed).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
      );
  } catch {
    // a plain-string secret
  }
  return text;
}

/**
 * Resolves Secrets Manager references in Secrets: `${secretsmanager:<name>#<key>}` in data or
 * stringData values (whole or embedded; in data the result is base64-encoded), and the
 * annotation plumbline.dev/secretsmanager, which adds every key of the secret to stringData.
 * Names outside the prefix, stray placeholders, missing secrets or keys are refused before
 * anything is applied. Secrets are fetched in one batch.
 */
export async function resolveSecrets(
  objects: readonly KubeObject[],
  store: SecretStore,
  options: SecretOptions,
): Promise<ResolvedSecrets> {
  const wanted = new Set<string>();
  for (const object of objects) {
    checkNoStrayPlaceholders(object, isSecret(object));
    if (!isSecret(object)) continue;
    for (const name of referencedNames(object)) {
      if (!name.startsWith(options.prefix)) {
        throw new SecretResolutionError(
          `${subjectOf(idOf(object))}: secret "${name}" is outside the allowed prefix "${options.prefix}"`,
        );
      }
      wanted.add(name);
    }
  }
  if (wanted.size === 0) return { objects: [...objects], values: [] };
  const fetched = await store.getSecretStrings([...wanted].sort());
  const parsed = new Map<string, Record<string, string> | string>();
  for (const [name, text] of fetched) parsed.set(name, parseSecret(text));
  const values: string[] = [];
  const lookup = (object: KubeObject, name: string, key: string): string => {
    const secret = parsed.get(name);
    if (secret === undefined)
      throw new SecretResolutionError(
        `${subjectOf(idOf(object))}: secret "${name}" does not exist or cannot be read`,
      );
    if (typeof secret === 'string' || !Object.hasOwn(secret, key))
      throw new SecretResolutionError(`${subjectOf(idOf(object))}: secret "${name}" has no key "${key}"`);
    return secret[key] as string;
  };
  const resolved = objects.map((object) => {
    if (!isSecret(object) || referencedNames(object).length === 0) return object;
    const out: KubeObject = { ...object };
    const substitute = (text: string): string =>
      text.replace(PLACEHOLDER, (_m, name: string, key: string) => {
        const value = lookup(object, name, key);
        values.push(value);
        return value;
      });
    if (isObj(object.stringData))
      out.stringData = Object.fromEntries(
        Object.entries(object.stringData).map(([k, v]) => [k, typeof v === 'string' ? substitute(v) : v]),
      );
    if (isObj(object.data)) {
      out.data = Object.fromEntries(
        Object.entries(object.data).map(([k, v]) => {
          if (typeof v !== 'string' || !v.includes(ANY_PLACEHOLDER)) return [k, v];
          return [k, Buffer.from(substitute(v), 'utf8').toString('base64')];
        }),
      );
    }
    const annotated = object.metadata.annotations?.[SECRETS_MANAGER_ANNOTATION];
    if (annotated !== undefined) {
      const secret = parsed.get(annotated);
      if (secret === undefined)
        throw new SecretResolutionError(
          `${subjectOf(idOf(object))}: secret "${annotated}" does not exist or cannot be read`,
        );
      if (typeof secret === 'string')
        throw new SecretResolutionError(
          `${subjectOf(idOf(object))}: secret "${annotated}" must be a JSON object to fill stringData`,
        );
      values.push(...Object.values(secret));
      out.stringData = { ...(isObj(out.stringData) ? out.stringData : {}), ...secret };
    }
    return out;
  });
  return { objects: resolved, values };
}
