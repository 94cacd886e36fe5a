import fc from 'fast-check';
import { applyMergePatch, PatchError } from '../../../lib/local/sandbox/patch';
import { deepFreeze } from './deep-freeze';

/** RFC 7396 Appendix A, verbatim: original, patch, result. */
const RFC_7396_EXAMPLES: [unknown, unknown, unknown][] = [
  [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
  [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
  [{ a: 'b' }, { a: null }, {}],
  [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
  [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
  [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
  [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
  [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
  [
    ['a', 'b'],
    ['c', 'd'],
    ['c', 'd'],
  ],
  [{ a: 'b' }, ['c'], ['c']],
  [{ a: 'foo' }, null, null],
  [{ a: 'foo' }, 'bar', 'bar'],
  [{ e: null }, { a: 1 }, { e: null, a: 1 }],
  [[1, 2], { a: 'b', c: null }, { a: 'b' }],
  [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
];

const jsonObject = fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 });

describe('applyMergePatch', () => {
  it.each(RFC_7396_EXAMPLES)('applies the RFC 7396 appendix example %j + %j', (original, patch, result) => {
    expect(applyMergePatch(deepFreeze(original), deepFreeze(patch))).toEqual(result);
  });

  it('applies the RFC 7396 section 3 example', () => {
    const target = {
      title: 'Goodbye!',
      author: { givenName: 'John', familyName: 'Doe' },
      tags: ['example', 'sample'],
      content: 'This will be unchanged',
    };
    const patch = {
      title: 'Hello!',
      phoneNumber: '+01-123-456-7890',
      author: { familyName: null },
      tags: ['example'],
    };
    expect(applyMergePatch(deepFreeze(target), deepFreeze(patch))).toEqual({
      title: 'Hello!',
      author: { givenName: 'John' },
      tags: ['example'],
      content: 'This will be unchanged',
      phoneNumber: '+01-123-456-7890',
    });
  });

  it('deletes a label with null and leaves the rest of the object as it was', () => {
    const target = { metadata: { name: 'web', labels: { app: 'web', stale: 'yes' } }, spec: { replicas: 1 } };
    expect(applyMergePatch(deepFreeze(target), { metadata: { labels: { stale: null } } })).toEqual({
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: { replicas: 1 },
    });
  });

  it('returns a result that shares nothing with its inputs', () => {
    const target = { spec: { ports: [{ port: 80 }] }, keep: { a: 1 } };
    const patch = { spec: { extra: { deep: [1] } } };
    const result = applyMergePatch(target, patch) as {
      spec: { ports: { port: number }[]; extra: { deep: number[] } };
      keep: { a: number };
    };
    result.spec.ports[0]!.port = 81;
    result.keep.a = 2;
    result.spec.extra.deep.push(2);
    expect(target).toEqual({ spec: { ports: [{ port: 80 }] }, keep: { a: 1 } });
    expect(patch).toEqual({ spec: { extra: { deep: [1] } } });
  });

  it('treats __proto__ as an ordinary key instead of replacing the prototype', () => {
    const result = applyMergePatch({}, JSON.parse('{"__proto__": {"polluted": true}}')) as Record<
      string,
      unknown
    >;
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
    expect(Object.keys(result)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('rejects a missing patch with a PatchError', () => {
    expect(() => applyMergePatch({ a: 1 }, undefined)).toThrow(PatchError);
  });

  it('leaves any object unchanged when the patch is {}', () => {
    fc.assert(
      fc.property(jsonObject, (target) => {
        expect(applyMergePatch(deepFreeze(target), {})).toEqual(target);
      }),
    );
  });

  it('is idempotent: applying a patch twice equals applying it once', () => {
    fc.assert(
      fc.property(jsonObject, fc.jsonValue({ maxDepth: 3 }), (target, patch) => {
        const once = applyMergePatch(target, patch);
        expect(applyMergePatch(once, patch)).toEqual(once);
      }),
    );
  });
});
