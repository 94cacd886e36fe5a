import { PatchError } from './errors';
import { cloneJson, deepEqual, getOwn, isObject, type JsonObject, jsonType, setOwn } from './json-value';

type Op = 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
const OPS: ReadonlySet<string> = new Set<Op>(['add', 'remove', 'replace', 'move', 'copy', 'test']);

/** Raised inside one operation; `applyJsonPatch` adds which operation it was. */
class OpFailure extends Error {}

/**
 * Applies a JSON patch (RFC 6902) with JSON pointers (RFC 6901). All or nothing: the target is
 * copied first, so a failing operation leaves no partial result, and the inputs are never mutated.
 */
export function applyJsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops))
    throw new PatchError(`json patch must be an array of operations, not ${jsonType(ops)}`);
  let doc = cloneJson(target);
  for (const [index, raw] of ops.entries()) {
    if (!isObject(raw)) throw new PatchError(`json patch operation ${index} is not an object`);
    const op = raw.op;
    if (typeof op !== 'string') throw new PatchError(`json patch operation ${index} has no op`);
    if (!OPS.has(op))
      throw new PatchError(`json patch operation ${index} has unknown op ${JSON.stringify(op)}`);
    const path = raw.path;
    if (typeof path !== 'string') throw new PatchError(`json patch operation ${index} (${op}) has no path`);
    try {
      doc = applyOne(doc, op as Op, path, raw);
    } catch (err: unknown) {
      if (!(err instanceof OpFailure)) throw err;
      throw new PatchError(`json patch operation ${index} (${op}) failed at ${path}: ${err.message}`, {
        cause: err,
      });
    }
  }
  return doc;
}

function applyOne(doc: unknown, op: Op, path: string, raw: JsonObject): unknown {
  const tokens = parsePointer(path);
  switch (op) {
    case 'add':
      return add(doc, tokens, cloneJson(operationValue(raw)));
    case 'remove':
      return remove(doc, tokens);
    case 'replace':
      return replace(doc, tokens, cloneJson(operationValue(raw)));
    case 'test':
      if (!deepEqual(get(doc, tokens), operationValue(raw))) throw new OpFailure('value differs');
      return doc;
    case 'copy':
      return add(doc, tokens, cloneJson(get(doc, operationFrom(raw))));
    case 'move': {
      const from = operationFrom(raw);
      const value = get(doc, from);
      if (from.length <= tokens.length && from.every((t, i) => t === tokens[i])) {
        if (from.length === tokens.length) return doc;
        throw new OpFailure('cannot move a value into one of its own children');
      }
      return add(remove(doc, from), tokens, value);
    }
  }
}

function operationValue(raw: JsonObject): unknown {
  if (!Object.hasOwn(raw, 'value')) throw new OpFailure('operation has no value');
  return raw.value;
}

function operationFrom(raw: JsonObject): string[] {
  const from = raw.from;
  if (typeof from !== 'string') throw new OpFailure('operation has no from');
  try {
    return parsePointer(from);
  } catch (err: unknown) {
    throw err instanceof OpFailure ? new OpFailure(`from ${err.message}`) : err;
  }
}

/** The reference tokens of a JSON pointer, unescaped (`~1` is `/`, `~0` is `~`). */
function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/'))
    throw new OpFailure(`pointer ${JSON.stringify(pointer)} does not start with "/"`);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => {
      if (/~[^01]|~$/.test(token))
        throw new OpFailure(`pointer token ${JSON.stringify(token)} has a bad ~ escape`);
      return token.replace(/~1/g, '/').replace(/~0/g, '~');
    });
}

function get(doc: unknown, tokens: readonly string[]): unknown {
  let node = doc;
  for (let depth = 0; depth < tokens.length; depth++) node = child(node, tokens, depth);
  return node;
}

/** The container holding the last token: the parent must exist for every operation. */
function parentOf(doc: unknown, tokens: readonly string[]): unknown {
  return get(doc, tokens.slice(0, -1));
}

function child(node: unknown, tokens: readonly string[], depth: number): unknown {
  const token = tokens[depth] ?? '';
  if (Array.isArray(node)) return node[arrayIndex(token, node.length - 1)];
  if (isObject(node) && Object.hasOwn(node, token)) return getOwn(node, token);
  throw missing(tokens.slice(0, depth + 1));
}

function arrayIndex(token: string, max: number): number {
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new OpFailure(`${JSON.stringify(token)} is not an array index`);
  const index = Number(token);
  if (index > max) throw new OpFailure(`array index ${index} is out of bounds`);
  return index;
}

function add(doc: unknown, tokens: readonly string[], value: unknown): unknown {
  const last = tokens[tokens.length - 1];
  if (last === undefined) return value;
  const parent = parentOf(doc, tokens);
  if (Array.isArray(parent)) {
    const index = last === '-' ? parent.length : arrayIndex(last, parent.length);
    parent.splice(index, 0, value);
  } else if (isObject(parent)) {
    setOwn(parent, last, value);
  } else {
    throw new OpFailure(`parent of the path is ${jsonType(parent)}, not an object or array`);
  }
  return doc;
}

function replace(doc: unknown, tokens: readonly string[], value: unknown): unknown {
  const last = tokens[tokens.length - 1];
  if (last === undefined) return value;
  const parent = parentOf(doc, tokens);
  if (Array.isArray(parent)) parent[arrayIndex(last, parent.length - 1)] = value;
  else if (isObject(parent) && Object.hasOwn(parent, last)) setOwn(parent, last, value);
  else throw missing(tokens);
  return doc;
}

function remove(doc: unknown, tokens: readonly string[]): unknown {
  const last = tokens[tokens.length - 1];
  if (last === undefined) throw new OpFailure('cannot remove the whole document');
  const parent = parentOf(doc, tokens);
  if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent.length - 1), 1);
  else if (isObject(parent) && Object.hasOwn(parent, last)) delete parent[last];
  else throw missing(tokens);
  return doc;
}

function missing(tokens: readonly string[]): OpFailure {
  return new OpFailure(`path /${tokens.map(escapeToken).join('/')} does not exist`);
}

function escapeToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}
