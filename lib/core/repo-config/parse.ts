import { load } from 'js-yaml';
import { Composer, LineCounter, Parser } from 'yaml';
import type { z } from 'zod';
import { isObj } from '../manifests/object';
import { cstTooDeep } from '../manifests/parse';
import { RepoConfigError, type RepoConfigIssue } from './errors';
import { quote } from './fields';
import { APP_FIELDS, type RepoConfig, repoConfigSchema } from './schema';

export const REPO_CONFIG_FILE = 'plumbline.yaml';
export const MAX_REPO_CONFIG_BYTES = 1024 * 1024;
/** Enough for shared anchors (`<<: *defaults`), far too few for alias-expansion bombs. */
const MAX_ALIAS_COUNT = 50;
const MAX_DEPTH = 64;

/**
 * Reads plumbline.yaml: one YAML document of at most 1 MiB, `version: 1` and a list of apps.
 * Throws a RepoConfigError whose one-line message names the file, the field path and the first
 * mistake; `issues` holds every mistake found.
 */
export function parseRepoConfig(text: string, file = REPO_CONFIG_FILE): RepoConfig {
  const raw = loadYaml(text, file);
  const result = repoConfigSchema.safeParse(raw, { reportInput: true });
  const issues = [...(result.success ? [] : result.error.issues.flatMap(toIssues)), ...duplicateNames(raw)];
  if (result.success && issues.length === 0) return result.data;
  throw new RepoConfigError(file, sortByApp(issues));
}

function loadYaml(text: string, file: string): unknown {
  if (text.length > MAX_REPO_CONFIG_BYTES || Buffer.byteLength(text, 'utf8') > MAX_REPO_CONFIG_BYTES) {
    throw new RepoConfigError(file, [{ path: '', message: 'larger than 1 MiB' }]);
  }
  return fastLoad(text) ?? fullLoad(text, file);
}

/**
 * What only the full parser handles with limits: anchors, aliases and merge keys (alias budget),
 * tags, `__proto__` keys. A plain file, the usual case, goes through js-yaml, about four times
 * faster (docs/adr/0004); a failure there, or a result that is no mapping, is left to the full
 * parser, so refusals always carry its wording and positions.
 */
const NEEDS_FULL_PARSER = /[&*!]|<<|__proto__/;

function fastLoad(text: string): unknown {
  if (NEEDS_FULL_PARSER.test(text)) return undefined;
  try {
    const value = load(text);
    return isObj(value) && !valueTooDeep(value, MAX_DEPTH) ? value : undefined;
  } catch {
    // Errors (a second document, a duplicate key, a stack overflow on deep nesting) are the full parser's to report.
    return undefined;
  }
}

function valueTooDeep(root: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[root, 1]];
  for (let entry = stack.pop(); entry; entry = stack.pop()) {
    const [value, depth] = entry;
    if (typeof value !== 'object' || value === null) continue;
    if (depth > max) return true;
    for (const item of Object.values(value)) stack.push([item, depth + 1]);
  }
  return false;
}

function fullLoad(text: string, file: string): unknown {
  const lines = new LineCounter();
  const tokens = Array.from(new Parser(lines.addNewLine).parse(text));
  const documents = tokens.filter((token) => token.type === 'document');
  if (documents.some((token) => cstTooDeep(token.value, MAX_DEPTH))) {
    throw new RepoConfigError(file, [{ path: '', message: `nested deeper than ${MAX_DEPTH} levels` }]);
  }
  const composer = new Composer({ uniqueKeys: true, merge: true, prettyErrors: false, logLevel: 'error' });
  const docs = Array.from(composer.compose(tokens));
  const errors = docs.flatMap((doc) => doc.errors);
  if (errors.length > 0) {
    throw new RepoConfigError(
      file,
      errors.map((error) => {
        const { line, col } = lines.linePos(error.pos[0]);
        return { path: '', message: `line ${line}, column ${col}: ${error.message}` };
      }),
    );
  }
  if (docs.length !== 1) {
    const message = docs.length === 0 ? 'is empty' : `holds ${docs.length} YAML documents, one expected`;
    throw new RepoConfigError(file, [{ path: '', message }]);
  }
  try {
    return docs[0]!.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err: unknown) {
    // The yaml package throws a ReferenceError when aliases expand past maxAliasCount.
    const reason = err instanceof Error ? err.message : String(err);
    throw new RepoConfigError(file, [{ path: '', message: reason }], { cause: err });
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (isObj(value)) return 'a mapping';
  return quote(value);
}

const EXPECTED: Record<string, string> = { object: 'a mapping', array: 'a list' };

function toIssues(issue: z.core.$ZodIssue): RepoConfigIssue[] {
  const path = formatPath(issue.path);
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.path.length === 0) return [{ path, message: 'must be a mapping with version and apps' }];
      if (!('input' in issue) || issue.input === undefined) return [{ path, message: 'required' }];
      const expected = EXPECTED[issue.expected] ?? `a ${issue.expected}`;
      return [{ path, message: `must be ${expected}, got ${typeName(issue.input)}` }];
    }
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({
        path: formatPath([...issue.path, key]),
        message: unknownField(issue.path, key),
      }));
    case 'invalid_value': {
      if (!('input' in issue) || issue.input === undefined) return [{ path, message: 'required' }];
      const allowed = issue.values.map((v) => String(v)).join(', ');
      const one = issue.values.length === 1;
      return [{ path, message: `must be ${one ? '' : 'one of '}${allowed}, got ${typeName(issue.input)}` }];
    }
    case 'too_big':
      return [{ path, message: `at most ${String(issue.maximum)} entries` }];
    default:
      return [{ path, message: issue.message }];
  }
}

function unknownField(parent: readonly PropertyKey[], key: string): string {
  const known: readonly string[] = parent.length === 0 ? ['version', 'apps'] : APP_FIELDS;
  const near = known.find((k) => k.toLowerCase() === key.toLowerCase().replace(/[-_]/g, ''));
  return near ? `unknown field, did you mean ${near}?` : `unknown field (known: ${known.join(', ')})`;
}

/** App names label objects and select apps (`--app`): each must be unique in the file. */
function duplicateNames(raw: unknown): RepoConfigIssue[] {
  if (!isObj(raw) || !Array.isArray(raw.apps)) return [];
  const first = new Map<string, number>();
  const issues: RepoConfigIssue[] = [];
  raw.apps.forEach((app: unknown, i) => {
    if (!isObj(app) || typeof app.name !== 'string') return;
    const seen = first.get(app.name);
    if (seen === undefined) first.set(app.name, i);
    else
      issues.push({
        path: `apps[${i}].name`,
        message: `duplicate app name ${quote(app.name)} (also apps[${seen}])`,
      });
  });
  return issues;
}

/** File-wide mistakes first, then by app index; zod reports an object's unknown keys after its fields. */
function sortByApp(issues: RepoConfigIssue[]): RepoConfigIssue[] {
  const index = (issue: RepoConfigIssue): number => {
    const match = /^apps\[(\d+)\]/.exec(issue.path);
    return match ? Number(match[1]) : -1;
  };
  return issues
    .map((issue, order) => ({ issue, order, app: index(issue) }))
    .sort((a, b) => a.app - b.app || a.order - b.order)
    .map((entry) => entry.issue);
}
