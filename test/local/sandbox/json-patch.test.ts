import fc from 'fast-check';
import { applyJsonPatch, PatchError } from '../../../lib/local/sandbox/patch';
import { deepFreeze } from './deep-freeze';

function patchError(target: unknown, ops: unknown): PatchError {
  try {
    applyJsonPatch(deepFreeze(target), deepFreeze(ops));
  } catch (err: unknown) {
    if (err instanceof PatchError) return err;
    throw err;
  }
  throw new Error('expected a PatchError');
}

describe('applyJsonPatch', () => {
  /** RFC 6902 Appendix A examples that succeed: document, patch, result. */
  const examples: [string, unknown, unknown[], unknown][] = [
    [
      'A.1 adds an object member',
      { foo: 'bar' },
      [{ op: 'add', path: '/baz', value: 'qux' }],
      { baz: 'qux', foo: 'bar' },
    ],
    [
      'A.2 adds an array element',
      { foo: ['bar', 'baz'] },
      [{ op: 'add', path: '/foo/1', value: 'qux' }],
      { foo: ['bar', 'qux', 'baz'] },
    ],
    [
      'A.3 removes an object member',
      { baz: 'qux', foo: 'bar' },
      [{ op: 'remove', path: '/baz' }],
      { foo: 'bar' },
    ],
    [
      'A.4 removes an array element',
      { foo: ['bar', 'qux', 'baz'] },
      [{ op: 'remove', path: '/foo/1' }],
      { foo: ['bar', 'baz'] },
    ],
    [
      'A.5 replaces a value',
      { baz: 'qux', foo: 'bar' },
      [{ op: 'replace', path: '/baz', value: 'boo' }],
      { baz: 'boo', foo: 'bar' },
    ],
    [
      'A.6 moves a value',
      { foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } },
      [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }],
      { foo: { bar: 'baz' }, qux: { corge: 'grault', thud: 'fred' } },
    ],
    [
      'A.7 moves an array element',
      { foo: ['all', 'grass', 'cows', 'eat'] },
      [{ op: 'move', from: '/foo/1', path: '/foo/3' }],
      { foo: ['all', 'cows', 'eat', 'grass'] },
    ],
    [
      'A.8 passes tests that hold',
      { baz: 'qux', foo: ['a', 2, 'c'] },
      [
        { op: 'test', path: '/baz', value: 'qux' },
        { op: 'test', path: '/foo/1', value: 2 },
      ],
      { baz: 'qux', foo: ['a', 2, 'c'] },
    ],
    [
      'A.10 adds a nested member object',
      { foo: 'bar' },
      [{ op: 'add', path: '/child', value: { grandchild: {} } }],
      { foo: 'bar', child: { grandchild: {} } },
    ],
    [
      'A.11 ignores unrecognized members of an operation',
      { foo: 'bar' },
      [{ op: 'add', path: '/baz', value: 'qux', xyz: 123 }],
      { foo: 'bar', baz: 'qux' },
    ],
    [
      'A.14 unescapes ~01 as ~1, not /',
      { '/': 9, '~1': 10 },
      [{ op: 'test', path: '/~01', value: 10 }],
      { '/': 9, '~1': 10 },
    ],
    [
      'A.16 appends an array value with -',
      { foo: ['bar'] },
      [{ op: 'add', path: '/foo/-', value: ['abc', 'def'] }],
      { foo: ['bar', ['abc', 'def']] },
    ],
  ];

  it.each(examples)('RFC 6902 %s', (_name, doc, ops, result) => {
    expect(applyJsonPatch(deepFreeze(doc), deepFreeze(ops))).toEqual(result);
  });

  it('fails A.9, a test that does not hold, naming the operation and path', () => {
    const err = patchError({ baz: 'qux' }, [
      { op: 'add', path: '/x', value: 1 },
      { op: 'test', path: '/baz', value: 'bar' },
    ]);
    expect(err.message).toBe('json patch operation 1 (test) failed at /baz: value differs');
  });

  it('fails A.12, adding under a parent that does not exist', () => {
    expect(patchError({ foo: 'bar' }, [{ op: 'add', path: '/baz/bat', value: 'qux' }]).message).toBe(
      'json patch operation 0 (add) failed at /baz/bat: path /baz does not exist',
    );
  });

  it('fails A.15, comparing the number 10 with the string "10"', () => {
    expect(() => applyJsonPatch({ '/': 9, '~1': 10 }, [{ op: 'test', path: '/~01', value: '10' }])).toThrow(
      PatchError,
    );
  });

  it('reads ~1 as / in a path, as in an annotation key', () => {
    const doc = { metadata: { annotations: { 'example.com/owner': 'a' } } };
    const ops = [{ op: 'replace', path: '/metadata/annotations/example.com~1owner', value: 'b' }];
    expect(applyJsonPatch(deepFreeze(doc), ops)).toEqual({
      metadata: { annotations: { 'example.com/owner': 'b' } },
    });
  });

  it('copies a value and replaces the whole document at the empty path', () => {
    expect(applyJsonPatch({ a: { b: 1 } }, [{ op: 'copy', from: '/a', path: '/c' }])).toEqual({
      a: { b: 1 },
      c: { b: 1 },
    });
    expect(applyJsonPatch({ a: 1 }, [{ op: 'replace', path: '', value: [1] }])).toEqual([1]);
  });

  it('applies all operations or none: a later failure leaves the target untouched', () => {
    const doc = { spec: { replicas: 1 } };
    expect(() =>
      applyJsonPatch(doc, [
        { op: 'replace', path: '/spec/replicas', value: 3 },
        { op: 'remove', path: '/spec/missing' },
      ]),
    ).toThrow('json patch operation 1 (remove) failed at /spec/missing: path /spec/missing does not exist');
    expect(doc).toEqual({ spec: { replicas: 1 } });
  });

  it.each([
    ['ops that are not an array', { op: 'add' }, 'json patch must be an array of operations, not object'],
    ['an unknown op', [{ op: 'merge', path: '/a' }], 'json patch operation 0 has unknown op "merge"'],
    ['an operation without op', [{ path: '/a' }], 'json patch operation 0 has no op'],
    ['an operation without path', [{ op: 'remove' }], 'json patch operation 0 (remove) has no path'],
    [
      'add without value',
      [{ op: 'add', path: '/b' }],
      'json patch operation 0 (add) failed at /b: operation has no value',
    ],
    [
      'a path without a leading /',
      [{ op: 'remove', path: 'a' }],
      'failed at a: pointer "a" does not start with "/"',
    ],
    ['a bad ~ escape', [{ op: 'remove', path: '/a~2' }], 'pointer token "a~2" has a bad ~ escape'],
    ['an index with a leading zero', [{ op: 'remove', path: '/list/01' }], '"01" is not an array index'],
    [
      'an index past the end',
      [{ op: 'replace', path: '/list/2', value: 0 }],
      'array index 2 is out of bounds',
    ],
    ['an insert past the end', [{ op: 'add', path: '/list/3', value: 0 }], 'array index 3 is out of bounds'],
    ['- outside add', [{ op: 'remove', path: '/list/-' }], '"-" is not an array index'],
    ['removing the root', [{ op: 'remove', path: '' }], 'cannot remove the whole document'],
    ['replacing a missing key', [{ op: 'replace', path: '/nope', value: 1 }], 'path /nope does not exist'],
    [
      'moving into a child',
      [{ op: 'move', from: '/a', path: '/a/b' }],
      'cannot move a value into one of its own children',
    ],
    ['copy without from', [{ op: 'copy', path: '/c' }], 'operation has no from'],
    [
      'adding under a scalar',
      [{ op: 'add', path: '/a/x/y', value: 1 }],
      'parent of the path is number, not an object',
    ],
  ])('rejects %s', (_name, ops, message) => {
    expect(patchError({ a: { x: 1 }, list: [1, 2] }, ops).message).toContain(message);
  });

  it('leaves any document unchanged when the patch is empty', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (doc) => {
        expect(applyJsonPatch(deepFreeze(doc), [])).toEqual(doc);
      }),
    );
  });

  it('undoes an add with a remove of the same new key, escaping included', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.jsonValue()),
        fc.string(),
        fc.jsonValue(),
        (doc, key, value) => {
          fc.pre(!Object.hasOwn(doc, key));
          const path = `/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
          const ops = [
            { op: 'add', path, value },
            { op: 'test', path, value },
            { op: 'remove', path },
          ];
          expect(applyJsonPatch(deepFreeze(doc), ops)).toEqual(doc);
        },
      ),
    );
  });
});
