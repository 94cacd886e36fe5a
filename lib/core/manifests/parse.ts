import { loadAll } from 'js-yaml';
import { Composer, type CST, type Document, LineCounter, Parser, type ScalarTag, type Tags } from 'yaml';
import type { RenderedManifest, RenderLimits } from '../render/port';
import { ManifestError } from './errors';
import { formatId, idOf, isObj, type Obj } from './object';
import { toKubeObject } from './validate';

export type ParseLimits = Pick<RenderLimits, 'maxAliasCount' | 'maxDepth' | 'maxDocuments'>;

/**
 * `0644` as octal, as kubectl (YAML 1.1) and kustomize (go-yaml v3) read it: plain YAML 1.2
 * would read 644 and turn `defaultMode: 0644` into an invalid or wrong file mode.
 */
const LEGACY_OCTAL: ScalarTag = {
  tag: 'tag:yaml.org,2002:int',
  default: true,
  format: 'OCT',
  identify: () => false,
  test: /^0[0-7]+$/,
  resolve: (text: string) => Number.parseInt(text, 8),
};

const YAML_OPTIONS = {
  uniqueKeys: true,
  // `<<: *defaults` merges, which kubectl and kustomize both honour.
  merge: true,
  customTags: (tags: Tags): Tags => [LEGACY_OCTAL, ...tags],
  // The library would otherwise print some warnings to the console itself.
  logLevel: 'error' as const,
};

interface Counter {
  documents: number;
}

function at(file: string, document: number): string {
  return `${file} (document ${document})`;
}

/**
 * Whether a CST collection nests deeper than `max` (the root collection is level 1). Walked
 * with an explicit stack before composing, because the yaml composer and `toJS` recurse.
 */
export function cstTooDeep(root: CST.Token | undefined, max: number): boolean {
  const stack: [CST.Token, number][] = root ? [[root, 1]] : [];
  for (let entry = stack.pop(); entry; entry = stack.pop()) {
    const [token, depth] = entry;
    if (!('items' in token)) continue;
    if (depth > max) return true;
    for (const item of token.items) {
      if (item.key) stack.push([item.key, depth + 1]);
      if (item.value) stack.push([item.value, depth + 1]);
    }
  }
  return false;
}

/** Counts documents and checks their depth as the parser produces them, before composing. */
function* guarded(tokens: Iterable<CST.Token>, file: string, limits: ParseLimits, counter: Counter) {
  let document = 0;
  for (const token of tokens) {
    if (token.type === 'document') {
      document += 1;
      // Empty documents count too: half a million `---` lines would take seconds to compose.
      counter.documents += 1;
      if (counter.documents > limits.maxDocuments) {
        throw new ManifestError(
          `${at(file, document)}: more than ${limits.maxDocuments} documents (maxDocuments)`,
        );
      }
      if (cstTooDeep(token.value, limits.maxDepth)) {
        throw new ManifestError(
          `${at(file, document)}: nested deeper than ${limits.maxDepth} levels (maxDepth)`,
        );
      }
    }
    yield token;
  }
}

/**
 * A copy with no shared references (a YAML alias yields the same JS object twice, and a later
 * edit of one place, such as adding a label, must not change the other), refusing nesting
 * deeper than `max`: aliases can nest deeper than the text, and a recursive alias is a cycle.
 */
function detached(value: unknown, depth: number, max: number, where: string): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (depth > max) throw new ManifestError(`${where}: nested deeper than ${max} levels (maxDepth)`);
  if (Array.isArray(value)) return value.map((item) => detached(item, depth + 1, max, where));
  // fromEntries defines own properties, so a `__proto__` key stays data.
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, detached(v, depth + 1, max, where)]));
}

/**
 * The YAML library's reason without what it quotes of the source after ": " (`Unresolved alias …:
 * <name>`, `Could not resolve tag: <tag>`, `Block scalar header includes extra characters: <text>`):
 * in a Secret that text is the value, and errors reach logs, audit records and commit statuses.
 * The line and column say where.
 */
function unquoted(message: string): string {
  const first = message.split('\n')[0] ?? message;
  const cut = first.indexOf(': ');
  return cut > 0 ? first.slice(0, cut) : first;
}

function yamlError(error: { message: string; pos: [number, number] }, lines: LineCounter, where: string) {
  const { line, col } = lines.linePos(error.pos[0]);
  const reason = unquoted(error.message);
  return new ManifestError(`${where}: invalid YAML: ${reason} at line ${line}, column ${col}`, {
    cause: error,
  });
}

function toValue(doc: Document.Parsed, lines: LineCounter, limits: ParseLimits, where: string): unknown {
  const [error] = doc.errors;
  if (error) throw yamlError(error, lines, where);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: limits.maxAliasCount });
  } catch (err: unknown) {
    const reason = err instanceof Error ? err.message : String(err);
    if (reason.includes('Excessive alias count')) {
      throw new ManifestError(
        `${where}: YAML aliases expand beyond the limit of ${limits.maxAliasCount} (maxAliasCount)`,
        {
          cause: err,
        },
      );
    }
    throw new ManifestError(`${where}: invalid YAML: ${unquoted(reason)}`, { cause: err });
  }
  return detached(value, 1, limits.maxDepth, where);
}

/** `kind: List` (v1) and `…List` kinds with `items`, as kubectl expands them. */
function isList(value: Obj): boolean {
  const { apiVersion, kind } = value;
  if (kind === 'List' && apiVersion === 'v1') return true;
  return typeof kind === 'string' && kind.endsWith('List') && Array.isArray(value.items);
}

/** Decides, before validation, to leave a document out (returns true); it may note why. */
export type SkipDocument = (value: Obj, where: string) => boolean;

function expand(
  value: unknown,
  file: string,
  document: number,
  counter: Counter,
  limits: ParseLimits,
  skip?: SkipDocument,
) {
  const where = at(file, document);
  if (isObj(value) && !isList(value) && skip?.(value, where)) return [];
  if (!isObj(value) || !isList(value)) return [toKubeObject(value, where)];
  const { items } = value;
  if (!Array.isArray(items)) {
    throw new ManifestError(`${where}: a ${String(value.kind)} needs items, a sequence`);
  }
  // The List's own document was counted when it was parsed; its items count instead of it.
  counter.documents += Math.max(items.length - 1, 0);
  if (counter.documents > limits.maxDocuments) {
    throw new ManifestError(`${where}: more than ${limits.maxDocuments} documents (maxDocuments)`);
  }
  return items
    .map((item: unknown, i) => {
      const itemWhere = `${file} (document ${document}, items[${i}])`;
      if (isObj(item) && isList(item)) {
        throw new ManifestError(`${itemWhere}: a List inside a List is not supported`);
      }
      return isObj(item) && skip?.(item, itemWhere) ? undefined : toKubeObject(item, itemWhere);
    })
    .filter((object) => object !== undefined);
}

/**
 * Loads the manifests of one YAML or JSON file (JSON is YAML): every document, empty ones
 * skipped, Lists expanded into their items, each object validated (see validate.ts).
 *
 * @param file the name used in messages and sources, relative to the repository root
 * @param documentOffset what the caller already loaded for the same app (the plain renderer
 *   passes its manifest count), counted against `maxDocuments` with this text's documents,
 *   empty ones included, and List items; document numbers stay 1-based per file
 * @throws ManifestError, one line naming the file and the 1-based document
 */
export function parseManifests(
  text: string,
  file: string,
  limits: ParseLimits,
  documentOffset = 0,
  options: { readonly fast?: boolean; readonly skip?: SkipDocument } = {},
): RenderedManifest[] {
  const { skip } = options;
  const fast = options.fast === false ? undefined : fastDocuments(text);
  if (fast) {
    try {
      return fromFastDocuments(fast, file, limits, documentOffset, skip);
    } catch (err: unknown) {
      // Refusals come from the full parser, so their wording and document numbers never depend on the path.
      if (!(err instanceof ManifestError)) throw err;
    }
  }
  const lines = new LineCounter();
  const counter: Counter = { documents: documentOffset };
  const composer = new Composer(YAML_OPTIONS);
  const tokens = guarded(new Parser(lines.addNewLine).parse(text), file, limits, counter);
  const manifests: RenderedManifest[] = [];
  let document = 0;
  for (const doc of composer.compose(tokens)) {
    document += 1;
    const value = toValue(doc, lines, limits, at(file, document));
    if (value === null || value === undefined) continue;
    for (const object of expand(value, file, document, counter, limits, skip)) {
      manifests.push({ object, source: { file, document } });
    }
  }
  const [streamError] = composer.streamInfo().errors;
  if (streamError) throw yamlError(streamError, lines, at(file, Math.max(document, 1)));
  return manifests;
}

/**
 * What only the full parser handles the way kubectl does: anchors and aliases (alias limits),
 * merge keys, tags, legacy octals such as `0644`, and `__proto__` keys. Anything else — the
 * plain manifests most repositories hold — js-yaml parses about four times faster.
 */
const NEEDS_FULL_PARSER = /[&*!]|<<|__proto__|(^|[\s:[,{-])[+-]?0[0-7]+\s*($|[,\]}#])/m;

function fastDocuments(text: string): unknown[] | undefined {
  if (NEEDS_FULL_PARSER.test(text)) return undefined;
  try {
    // js-yaml's default (YAML 1.2 core) schema, duplicate keys refused, as the full parser does.
    return loadAll(text);
  } catch {
    // Errors are left to the full parser, which reports them with a line and column.
    return undefined;
  }
}

function fromFastDocuments(
  values: unknown[],
  file: string,
  limits: ParseLimits,
  documentOffset: number,
  skip: SkipDocument | undefined,
): RenderedManifest[] {
  const counter: Counter = { documents: documentOffset };
  const manifests: RenderedManifest[] = [];
  values.forEach((raw, i) => {
    const document = i + 1;
    counter.documents += 1;
    if (counter.documents > limits.maxDocuments) {
      throw new ManifestError(
        `${at(file, document)}: more than ${limits.maxDocuments} documents (maxDocuments)`,
      );
    }
    const value = detached(raw, 1, limits.maxDepth, at(file, document));
    if (value === null || value === undefined) return;
    for (const object of expand(value, file, document, counter, limits, skip))
      manifests.push({ object, source: { file, document } });
  });
  return manifests;
}

function where(m: RenderedManifest): string {
  return at(m.source.file, m.source.document);
}

/**
 * Throws a ManifestError naming both sources of the first object declared twice. The id is
 * `group/kind/namespace/name`, with `defaultNamespace` for objects that name none (the
 * engine calls this again once it knows the app's namespace and each kind's scope).
 */
export function findDuplicates(
  manifests: readonly RenderedManifest[],
  defaultNamespace?: (m: RenderedManifest) => string,
): void {
  const seen = new Map<string, RenderedManifest>();
  for (const m of manifests) {
    // A hook named by generateName gets its name from the server: it cannot clash.
    if (m.object.metadata.name === '') continue;
    const id = idOf(m.object);
    const namespace = m.object.metadata.namespace ?? defaultNamespace?.(m) ?? '';
    const key = formatId({ ...id, namespace });
    const first = seen.get(key);
    if (first) throw new ManifestError(`${key} is declared twice: ${where(first)} and ${where(m)}`);
    seen.set(key, m);
  }
}
