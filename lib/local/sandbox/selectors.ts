import type { Obj } from './schema';
import { SelectorError } from './selector-errors';

export { SelectorError } from './selector-errors';

/** Equality-based terms parse to In / NotIn with one value, as in k8s.io/apimachinery/pkg/labels. */
export type LabelOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';

export interface LabelRequirement {
  readonly key: string;
  readonly operator: LabelOperator;
  readonly values: readonly string[];
}

/** All requirements must hold; no requirements selects everything. */
export interface LabelSelector {
  readonly requirements: readonly LabelRequirement[];
}

export interface FieldRequirement {
  /** The dotted path, e.g. `metadata.name`. */
  readonly field: string;
  readonly path: readonly string[];
  readonly operator: 'Equals' | 'NotEquals';
  readonly value: string;
}

export interface FieldSelector {
  readonly requirements: readonly FieldRequirement[];
}

/** metav1.LabelSelector as it appears in objects. */
export interface LabelSelectorObject {
  readonly matchLabels?: Readonly<Record<string, string>> | null;
  readonly matchExpressions?:
    | readonly {
        readonly key: string;
        readonly operator: string;
        readonly values?: readonly string[] | null;
      }[]
    | null;
}

type Token = { readonly kind: 'word' | 'op' | '(' | ')' | ',' | '!'; readonly text: string };

const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const INTEGER = /^[+-]?[0-9]+$/;

/** Parses the `labelSelector` query parameter: `a=b,c!=d,e in (f,g),h notin (i),j,!k,l>1`. */
export function parseLabelSelector(input: string): LabelSelector {
  return { requirements: new LabelParser(input).parse() };
}

/** The grammar of k8s.io/apimachinery/pkg/labels Parse, over the tokens of `tokenize`. */
class LabelParser {
  private readonly tokens: readonly Token[];
  private at = 0;
  readonly bad = (problem: string) =>
    new SelectorError(`invalid label selector ${JSON.stringify(this.input)}: ${problem}`);

  constructor(private readonly input: string) {
    this.tokens = tokenize(input);
  }

  parse(): LabelRequirement[] {
    const requirements: LabelRequirement[] = [];
    while (this.peek() !== undefined) {
      requirements.push(this.requirement());
      const separator = this.next();
      if (separator === undefined) break;
      if (separator.kind !== ',') throw this.bad(`expected "," but found "${separator.text}"`);
      if (this.peek() === undefined) throw this.bad('expected a requirement after ","');
    }
    return requirements;
  }

  private requirement(): LabelRequirement {
    const negated = this.peek()?.kind === '!';
    if (negated) this.at++;
    const key = this.key();
    const op = this.peek();
    if (op === undefined || op.kind === ',')
      return { key, operator: negated ? 'DoesNotExist' : 'Exists', values: [] };
    if (negated) throw this.bad(`"!${key}" cannot be followed by "${op.text}"`);
    this.at++;
    if (op.kind === 'word' && (op.text === 'in' || op.text === 'notin')) {
      return { key, operator: op.text === 'in' ? 'In' : 'NotIn', values: this.valueSet(op.text) };
    }
    if (op.kind !== 'op') throw this.bad(`expected an operator after "${key}" but found "${op.text}"`);
    // `a=` and `a!=` compare with the empty value, which is a valid label value.
    const value = this.peek()?.kind === 'word' ? (this.next()?.text ?? '') : '';
    if (op.text === '>' || op.text === '<') {
      if (!INTEGER.test(value)) throw this.bad(`"${op.text}" needs an integer, not "${value}"`);
      return { key, operator: op.text === '>' ? 'Gt' : 'Lt', values: [value] };
    }
    checkValue(value, this.bad);
    return { key, operator: op.text === '!=' ? 'NotIn' : 'In', values: [value] };
  }

  private key(): string {
    const token = this.next();
    if (token?.kind !== 'word' || token.text === 'in' || token.text === 'notin') {
      throw this.bad(`expected a label key but found ${describe(token)}`);
    }
    checkKey(token.text, this.bad);
    return token.text;
  }

  private valueSet(op: string): string[] {
    if (this.next()?.kind !== '(') throw this.bad(`expected "(" after "${op}"`);
    const values: string[] = [];
    for (;;) {
      const value = this.next();
      if (value?.kind !== 'word')
        throw this.bad(`expected a value in the "${op}" list but found ${describe(value)}`);
      checkValue(value.text, this.bad);
      values.push(value.text);
      const separator = this.next();
      if (separator?.kind === ')') return values;
      if (separator?.kind !== ',') {
        throw this.bad(`expected "," or ")" in the "${op}" list but found ${describe(separator)}`);
      }
    }
  }

  private peek(): Token | undefined {
    return this.tokens[this.at];
  }

  private next(): Token | undefined {
    return this.tokens[this.at++];
  }
}

function describe(token: Token | undefined): string {
  return token ? `"${token.text}"` : 'the end';
}

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input.charAt(i);
    const two = input.slice(i, i + 2);
    if (/\s/.test(c)) i++;
    else if (two === '!=' || two === '==') {
      tokens.push({ kind: 'op', text: two });
      i += 2;
    } else if (c === '=' || c === '<' || c === '>') {
      tokens.push({ kind: 'op', text: c });
      i++;
    } else if (c === '(' || c === ')' || c === ',' || c === '!') {
      tokens.push({ kind: c, text: c });
      i++;
    } else {
      const start = i;
      while (i < input.length && !/[\s=!<>(),]/.test(input.charAt(i))) i++;
      tokens.push({ kind: 'word', text: input.slice(start, i) });
    }
  }
  return tokens;
}

/** A qualified name: an optional DNS subdomain prefix and `/`, then a name of at most 63 characters. */
function checkKey(key: string, bad: (problem: string) => SelectorError): void {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  const prefixOk = prefix === undefined || (prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix));
  if (!prefixOk || name.length > 63 || !NAME.test(name)) throw bad(`"${key}" is not a valid label key`);
}

function checkValue(value: string, bad: (problem: string) => SelectorError): void {
  if (value !== '' && (value.length > 63 || !NAME.test(value)))
    throw bad(`"${value}" is not a valid label value`);
}

/** Builds a selector from a metav1.LabelSelector; an empty one selects everything. */
export function labelSelectorFromObject(selector: LabelSelectorObject): LabelSelector {
  const bad = (problem: string) => new SelectorError(`invalid label selector object: ${problem}`);
  const requirements: LabelRequirement[] = [];
  // The object comes from stored JSON, so its shape is checked rather than trusted.
  const { matchLabels, matchExpressions } = selector as { matchLabels?: unknown; matchExpressions?: unknown };
  if (matchLabels != null && (typeof matchLabels !== 'object' || Array.isArray(matchLabels))) {
    throw bad('matchLabels is not a map');
  }
  if (matchExpressions != null && !Array.isArray(matchExpressions))
    throw bad('matchExpressions is not a list');
  for (const [key, value] of Object.entries(matchLabels ?? {})) {
    if (typeof value !== 'string') throw bad(`matchLabels["${key}"] is not a string`);
    checkKey(key, bad);
    checkValue(value, bad);
    requirements.push({ key, operator: 'In', values: [value] });
  }
  for (const [i, expr] of ((matchExpressions ?? []) as unknown[]).entries()) {
    if (typeof expr !== 'object' || expr === null) throw bad(`matchExpressions[${i}] is not an object`);
    const { key, operator, values: raw } = expr as { key?: unknown; operator?: unknown; values?: unknown };
    const values: unknown = raw ?? [];
    if (typeof key !== 'string') throw bad(`matchExpressions[${i}] has no key`);
    if (!Array.isArray(values)) throw bad(`matchExpressions[${i}].values is not a list`);
    checkKey(key, bad);
    if (operator === 'In' || operator === 'NotIn') {
      if (values.length === 0) throw bad(`matchExpressions[${i}]: ${operator} needs at least one value`);
      for (const v of values)
        if (typeof v !== 'string') throw bad(`matchExpressions[${i}] has a non-string value`);
      for (const v of values) checkValue(v, bad);
    } else if (operator === 'Exists' || operator === 'DoesNotExist') {
      if (values.length > 0) throw bad(`matchExpressions[${i}]: ${operator} takes no values`);
    } else {
      throw bad(`matchExpressions[${i}] has unknown operator ${JSON.stringify(operator)}`);
    }
    requirements.push({ key, operator, values: values as string[] });
  }
  return { requirements };
}

export function matchesLabels(
  selector: LabelSelector,
  labels: Readonly<Record<string, string>> | undefined,
): boolean {
  return selector.requirements.every((r) => matchesRequirement(r, labels));
}

function matchesRequirement(
  r: LabelRequirement,
  labels: Readonly<Record<string, string>> | undefined,
): boolean {
  const value = labels !== undefined && Object.hasOwn(labels, r.key) ? labels[r.key] : undefined;
  if (r.operator === 'Exists') return value !== undefined;
  if (r.operator === 'DoesNotExist') return value === undefined;
  if (r.operator === 'In') return value !== undefined && r.values.includes(value);
  if (r.operator === 'NotIn') return value === undefined || !r.values.includes(value);
  // Gt and Lt compare integers; a label that is not one never matches.
  if (value === undefined || !INTEGER.test(value)) return false;
  const bound = Number(r.values[0]);
  return r.operator === 'Gt' ? Number(value) > bound : Number(value) < bound;
}

/** Parses the `fieldSelector` query parameter: `metadata.name=a,status.phase!=Running`. */
export function parseFieldSelector(input: string): FieldSelector {
  const bad = (problem: string) =>
    new SelectorError(`invalid field selector ${JSON.stringify(input)}: ${problem}`);
  const requirements: FieldRequirement[] = [];
  for (const term of splitTerms(input)) {
    if (term.trim() === '') continue;
    // The leftmost operator wins, `!=` and `==` before `=` (fields.splitTerm).
    const op = /!=|==|=/.exec(term);
    if (!op) throw bad(`"${term}" has no operator (=, ==, !=)`);
    const field = term.slice(0, op.index).trim();
    if (field === '') throw bad(`"${term}" has no field`);
    const value = unescapeValue(term.slice(op.index + op[0].length).trim(), bad);
    const operator = op[0] === '!=' ? 'NotEquals' : 'Equals';
    requirements.push({ field, path: field.split('.'), operator, value });
  }
  return { requirements };
}

/** Splits on commas that a backslash does not escape; escapes stay for `unescapeValue`. */
function splitTerms(input: string): string[] {
  const terms: string[] = [];
  let start = 0;
  for (let i = 0; i < input.length; i++) {
    if (input.charAt(i) === '\\') i++;
    else if (input.charAt(i) === ',') {
      terms.push(input.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(input.slice(start));
  return terms;
}

/** Field values escape `\`, `,` and `=` with a backslash (fields.EscapeValue). */
function unescapeValue(value: string, bad: (problem: string) => SelectorError): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value.charAt(i);
    if (c === '\\') {
      const escaped = value.charAt(++i);
      if (escaped !== '\\' && escaped !== ',' && escaped !== '=')
        throw bad(`invalid escape sequence in "${value}"`);
      out += escaped;
    } else if (c === '=' || c === ',') {
      throw bad(`unescaped "${c}" in the value "${value}"`);
    } else {
      out += c;
    }
  }
  return out;
}

/** Compares each field as a string; a missing field reads as "", as on the API server. */
export function matchesFields(selector: FieldSelector, obj: Obj): boolean {
  return selector.requirements.every((r) => {
    const value = fieldString(readPath(obj, r.path));
    return r.operator === 'Equals' ? value === r.value : value !== r.value;
  });
}

function readPath(obj: Obj, path: readonly string[]): unknown {
  let node: unknown = obj;
  for (const key of path) {
    if (typeof node !== 'object' || node === null || Array.isArray(node) || !Object.hasOwn(node, key))
      return undefined;
    node = (node as Obj)[key];
  }
  return node;
}

function fieldString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return '';
}
