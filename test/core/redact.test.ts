import fc from 'fast-check';
import type { FieldDiff } from '../../lib/core/drift';
import type { KubeObject, Obj } from '../../lib/core/manifests';
import { Redactor, redactDiffs, redactObject, secretValuesOf } from '../../lib/core/redact';

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

function secret(
  data: Record<string, string>,
  stringData?: Record<string, string>,
  apiVersion = 'v1',
): KubeObject {
  const out: KubeObject = { apiVersion, kind: 'Secret', metadata: { name: 'db', namespace: 'shop' }, data };
  if (stringData) out.stringData = stringData;
  return out;
}

describe('Redactor', () => {
  it('replaces every occurrence of a registered value with ***', () => {
    const r = new Redactor();
    r.register('hunter22');
    expect(r.redact('password=hunter22; again hunter22')).toBe('password=***; again ***');
  });

  it('replaces the base64 form too, padded or not', () => {
    const r = new Redactor();
    r.register('hunter22');
    expect(r.redact(`data: ${b64('hunter22')}`)).toBe('data: ***');
    expect(b64('hunter2')).toMatch(/=$/);
    r.register('hunter2');
    expect(r.redact(`x ${b64('hunter2')} y ${b64('hunter2').replace(/=+$/, '')}`)).toBe('x *** y ***');
  });

  it('ignores values shorter than 4 characters', () => {
    const r = new Redactor();
    r.register('abc');
    r.register('');
    expect(r.redact('abc YWJj')).toBe('abc YWJj');
  });

  it('replaces the longest value first, so a value containing another is masked whole', () => {
    const r = new Redactor();
    r.register('pass');
    r.register('password123');
    expect(r.redact('password123 pass')).toBe('*** ***');
  });

  it('treats regular-expression characters literally', () => {
    const r = new Redactor();
    r.register('a.b*c+(d)');
    expect(r.redact('axbbc+(d) a.b*c+(d)')).toBe('axbbc+(d) ***');
  });

  it('masks a value as it appears escaped inside JSON', () => {
    const r = new Redactor();
    r.register('line1\n"quoted"');
    expect(r.redact(JSON.stringify({ v: 'line1\n"quoted"' }))).toBe('{"v":"***"}');
  });

  it('masks a value as the JSON of Go escapes it, and each long line of a multi-line value', () => {
    const r = new Redactor();
    r.register('p<ss>&word-123');
    expect(r.redact('{"message":"bad value \\"p\\u003css\\u003e\\u0026word-123\\""}')).toBe(
      '{"message":"bad value \\"***\\""}',
    );
    const pem =
      '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n';
    r.register(pem);
    expect(r.redact('invalid line MIIEvQIBADANBgkqhkiG9w0BAQEFAASC in key')).toBe('invalid line *** in key');
    // Short lines are not secret on their own.
    expect(r.redact('short: BKcwggSj')).toBe('short: BKcwggSj');
  });

  it('picks up values registered after a previous redact', () => {
    const r = new Redactor();
    r.register('first-secret');
    expect(r.redact('first-secret second-secret')).toBe('*** second-secret');
    r.register('second-secret');
    expect(r.redact('first-secret second-secret')).toBe('*** ***');
  });

  it('leaves text alone when nothing is registered', () => {
    expect(new Redactor().redact('nothing here')).toBe('nothing here');
  });

  it('stays fast with many registered values', () => {
    const r = new Redactor();
    for (let i = 0; i < 2000; i++) r.register(`secret-value-${i}-${'x'.repeat(i % 17)}`);
    const text = `${'ordinary log line with no secrets in it; '.repeat(2000)} secret-value-7-xxxxxxx`;
    const start = performance.now();
    for (let i = 0; i < 20; i++) r.redact(text);
    expect(r.redact(text).endsWith('***')).toBe(true);
    expect(performance.now() - start).toBeLessThan(2000);
  });
});

describe('secretValuesOf', () => {
  it('returns stringData values and data values both encoded and decoded', () => {
    const values = secretValuesOf(secret({ password: b64('s3cret!') }, { token: 'tok-123' }));
    expect(values.sort()).toEqual([b64('s3cret!'), 's3cret!', 'tok-123'].sort());
  });

  it('returns numbers as text (the API server quotes `pin: 4821` when it refuses it), not booleans', () => {
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      stringData: { pin: 4821, on: true },
    };
    expect(secretValuesOf(secret as never)).toEqual(['4821']);
  });

  it('skips the decoded form of binary data, which never appears as text', () => {
    const binary = Buffer.from([0xff, 0xfe, 0x00, 0x80]).toString('base64');
    expect(secretValuesOf(secret({ keystore: binary }))).toEqual([binary]);
  });

  it('returns nothing for other kinds, including a custom Secret kind', () => {
    const cm: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c' },
      data: { a: 'visible' },
    };
    expect(secretValuesOf(cm)).toEqual([]);
    expect(secretValuesOf(secret({ a: b64('value') }, undefined, 'example.com/v1'))).toEqual([]);
  });
});

describe('redactObject', () => {
  it('masks data and stringData values and drops the last-applied annotation of a Secret', () => {
    const original = secret({ password: b64('s3cret!') }, { token: 'tok-123' });
    original.metadata.annotations = {
      'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(original),
      keep: 'me',
    };
    const copy = redactObject(original);
    expect(copy).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db', namespace: 'shop', annotations: { keep: 'me' } },
      data: { password: '***' },
      stringData: { token: '***' },
    });
    expect(original.data).toEqual({ password: b64('s3cret!') });
    expect(original.metadata.annotations).toHaveProperty([
      'kubectl.kubernetes.io/last-applied-configuration',
    ]);
  });

  it('returns other objects unchanged', () => {
    const cm: Obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'visible' } };
    expect(redactObject(cm)).toBe(cm);
  });
});

describe('redactDiffs', () => {
  const diffs: FieldDiff[] = [
    { path: '.data.password', desired: 'bmV3', live: 'b2xk' },
    { path: '.data["tls.key"]', desired: 'a2V5', live: undefined },
    { path: '.stringData', desired: { a: 'b' }, live: undefined },
    { path: '.metadata.labels.app', desired: 'a', live: 'b' },
    { path: '.dataset', desired: 'x', live: 'y' },
  ];

  it('masks Secret data and stringData diffs, keeping an undefined side undefined', () => {
    expect(redactDiffs(secret({}), diffs)).toEqual([
      { path: '.data.password', desired: '*** (changed)', live: '*** (changed)' },
      { path: '.data["tls.key"]', desired: '*** (changed)', live: undefined },
      { path: '.stringData', desired: '*** (changed)', live: undefined },
      { path: '.metadata.labels.app', desired: 'a', live: 'b' },
      { path: '.dataset', desired: 'x', live: 'y' },
    ]);
  });

  it('masks a diff of the last-applied annotation, which repeats the values', () => {
    const path = '.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"]';
    expect(redactDiffs(secret({}), [{ path, desired: '{"data":{}}', live: '{}' }])).toEqual([
      { path, desired: '*** (changed)', live: '*** (changed)' },
    ]);
  });

  it('leaves the diffs of other kinds as they are', () => {
    const cm: Obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } };
    expect(redactDiffs(cm, diffs)).toEqual(diffs);
  });
});

describe('redaction properties', () => {
  const secretText = fc.string({ minLength: 4, maxLength: 12, unit: 'binary' });
  const noise = fc.string({ maxLength: 20, unit: 'binary' });

  it('never lets a registered value survive, in plain, JSON or base64 text', () => {
    fc.assert(
      fc.property(
        fc.array(secretText, { minLength: 1, maxLength: 4 }),
        noise,
        noise,
        (secrets, before, after) => {
          const r = new Redactor();
          for (const s of secrets) r.register(s);
          for (const s of secrets) {
            const plain = r.redact(`${before}${s}${after}`);
            expect(plain).not.toContain(s);
            const json = r.redact(
              JSON.stringify({ log: `${before}${s}${after}`, nested: JSON.stringify({ v: s }) }),
            );
            expect(json).not.toContain(JSON.stringify(s).slice(1, -1));
            const encoded = r.redact(`${before} ${b64(s)} ${after}`);
            expect(encoded).not.toContain(b64(s).replace(/=+$/, ''));
          }
        },
      ),
    );
  });

  it('never lets a Secret value survive once its values are registered', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), secretText, { minKeys: 1 }), (values) => {
        const object = secret(Object.fromEntries(Object.entries(values).map(([k, v]) => [k, b64(v)])));
        const r = new Redactor();
        for (const v of secretValuesOf(object)) r.register(v);
        const text = r.redact(JSON.stringify(object));
        for (const v of Object.values(values)) {
          expect(text).not.toContain(b64(v));
          expect(text).not.toContain(JSON.stringify(v).slice(1, -1));
        }
      }),
    );
  });

  it('leaves text without any registered value unchanged', () => {
    fc.assert(
      fc.property(fc.array(secretText, { maxLength: 4 }), noise, (secrets, text) => {
        const r = new Redactor();
        for (const s of secrets) r.register(s);
        const escaped = (t: string) => JSON.stringify(t).slice(1, -1);
        const forms = secrets.flatMap((s) => [s, b64(s).replace(/=+$/, ''), escaped(s), escaped(escaped(s))]);
        fc.pre(forms.every((f) => !text.includes(f)));
        expect(r.redact(text)).toBe(text);
      }),
    );
  });
});
