import {
  labelSelectorFromObject,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  SelectorError,
} from '../../../lib/local/sandbox/selectors';

const labels = { app: 'web', tier: 'frontend', 'example.com/team': 'core', weight: '10', empty: '' };
const matches = (selector: string) => matchesLabels(parseLabelSelector(selector), labels);

describe('parseLabelSelector', () => {
  it.each([
    ['app=web', true],
    ['app=api', false],
    ['app==web', true],
    ['app!=api', true],
    ['app!=web', false],
    ['missing!=x', true],
    ['app in (api,web)', true],
    ['app in (api)', false],
    ['missing in (x)', false],
    ['app notin (api, db)', true],
    ['app notin (web)', false],
    ['missing notin (x)', true],
    ['app', true],
    ['missing', false],
    ['!missing', true],
    ['!app', false],
    ['weight>5', true],
    ['weight<5', false],
    ['app>5', false],
    ['empty=', true],
    ['example.com/team=core', true],
    ['app=web,tier=frontend', true],
    ['app=web,tier=backend', false],
    ['  app = web ,  tier in ( frontend , backend ) , !missing  ', true],
    ['', true],
    ['   ', true],
  ])('matches %j against the labels: %s', (selector, expected) => {
    expect(matches(selector)).toBe(expected);
  });

  it('parses each operator into requirements', () => {
    expect(parseLabelSelector('a=1,b!=2,c in (3,4),d notin (5),e,!f,g>7,h<8').requirements).toEqual([
      { key: 'a', operator: 'In', values: ['1'] },
      { key: 'b', operator: 'NotIn', values: ['2'] },
      { key: 'c', operator: 'In', values: ['3', '4'] },
      { key: 'd', operator: 'NotIn', values: ['5'] },
      { key: 'e', operator: 'Exists', values: [] },
      { key: 'f', operator: 'DoesNotExist', values: [] },
      { key: 'g', operator: 'Gt', values: ['7'] },
      { key: 'h', operator: 'Lt', values: ['8'] },
    ]);
  });

  it('treats missing labels as an empty set', () => {
    expect(matchesLabels(parseLabelSelector('!app'), undefined)).toBe(true);
    expect(matchesLabels(parseLabelSelector('app'), undefined)).toBe(false);
    expect(matchesLabels(parseLabelSelector('app notin (web)'), undefined)).toBe(true);
    expect(matchesLabels(parseLabelSelector(''), undefined)).toBe(true);
  });

  it.each([
    ['a in b', 'expected "(" after "in"'],
    ['a in ()', 'expected a value in the "in" list but found ")"'],
    ['a in (x', 'expected "," or ")" in the "in" list but found the end'],
    ['a notin (x y)', 'expected "," or ")" in the "notin" list but found "y"'],
    ['=b', 'expected a label key but found "="'],
    ['a=b,', 'expected a requirement after ","'],
    [',a', 'expected a label key but found ","'],
    ['!a=b', '"!a" cannot be followed by "="'],
    ['a=b c', 'expected "," but found "c"'],
    ['a=b=c', 'expected "," but found "="'],
    ['a b', 'expected an operator after "a" but found "b"'],
    ['a>x', '">" needs an integer, not "x"'],
    ['-a=b', '"-a" is not a valid label key'],
    ['Bad_Prefix/a=b', '"Bad_Prefix/a" is not a valid label key'],
    [`${'k'.repeat(64)}=b`, `"${'k'.repeat(64)}" is not a valid label key`],
    ['a=-b-', '"-b-" is not a valid label value'],
    ['in=b', 'expected a label key but found "in"'],
  ])('rejects %j with a one-line SelectorError', (selector, message) => {
    let error: unknown;
    try {
      parseLabelSelector(selector);
    } catch (err: unknown) {
      error = err;
    }
    expect(error).toBeInstanceOf(SelectorError);
    expect((error as Error).message).toBe(`invalid label selector ${JSON.stringify(selector)}: ${message}`);
    expect((error as Error).message).not.toContain('\n');
  });
});

describe('labelSelectorFromObject', () => {
  it('selects everything when empty', () => {
    expect(matchesLabels(labelSelectorFromObject({}), labels)).toBe(true);
    expect(matchesLabels(labelSelectorFromObject({ matchLabels: {}, matchExpressions: [] }), undefined)).toBe(
      true,
    );
  });

  it('requires matchLabels and every match expression to hold', () => {
    const selector = labelSelectorFromObject({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['frontend', 'edge'] },
        { key: 'env', operator: 'NotIn', values: ['prod'] },
        { key: 'example.com/team', operator: 'Exists' },
        { key: 'legacy', operator: 'DoesNotExist', values: null },
      ],
    });
    expect(matchesLabels(selector, labels)).toBe(true);
    expect(matchesLabels(selector, { ...labels, env: 'prod' })).toBe(false);
    expect(matchesLabels(selector, { ...labels, legacy: 'true' })).toBe(false);
    expect(matchesLabels(selector, { ...labels, app: 'api' })).toBe(false);
  });

  it.each([
    [
      { matchExpressions: [{ key: 'a', operator: 'In', values: [] }] },
      'matchExpressions[0]: In needs at least one value',
    ],
    [
      { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] },
      'matchExpressions[0]: Exists takes no values',
    ],
    [
      { matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] },
      'matchExpressions[0] has unknown operator "Gt"',
    ],
    [{ matchLabels: { 'bad key': 'x' } }, '"bad key" is not a valid label key'],
    [{ matchLabels: ['a'] }, 'matchLabels is not a map'],
  ])('rejects the invalid selector %j', (selector, message) => {
    expect(() => labelSelectorFromObject(selector as never)).toThrow(
      new SelectorError(`invalid label selector object: ${message}`),
    );
  });
});

describe('parseFieldSelector', () => {
  const pod = {
    metadata: { name: 'web-1', namespace: 'default' },
    spec: { nodeName: 'node-a', replicas: 3 },
    status: { phase: 'Running' },
  };
  const fieldMatches = (selector: string) => matchesFields(parseFieldSelector(selector), pod);

  it.each([
    ['metadata.name=web-1', true],
    ['metadata.name==web-1', true],
    ['metadata.name!=web-1', false],
    ['metadata.namespace=default', true],
    ['metadata.namespace!=kube-system', true],
    ['status.phase=Running', true],
    ['status.phase!=Running', false],
    ['spec.nodeName=node-a', true],
    ['spec.nodeName=node-b', false],
    ['spec.replicas=3', true],
    ['metadata.name=web-1,status.phase=Running', true],
    ['metadata.name=web-1,status.phase=Pending', false],
    [' metadata.name = web-1 ', true],
    ['', true],
  ])('matches %j against a pod: %s', (selector, expected) => {
    expect(fieldMatches(selector)).toBe(expected);
  });

  it('reads unknown field paths as the empty string', () => {
    expect(fieldMatches('spec.unknown.deep=')).toBe(true);
    expect(fieldMatches('spec.unknown!=x')).toBe(true);
    expect(fieldMatches('metadata.name.more=web-1')).toBe(false);
  });

  it('unescapes backslash-escaped commas, equals signs and backslashes in values', () => {
    expect(parseFieldSelector('metadata.name=a\\,b\\=c\\\\d,status.phase=x').requirements).toEqual([
      { field: 'metadata.name', path: ['metadata', 'name'], operator: 'Equals', value: 'a,b=c\\d' },
      { field: 'status.phase', path: ['status', 'phase'], operator: 'Equals', value: 'x' },
    ]);
  });

  it.each([
    ['metadata.name', '"metadata.name" has no operator (=, ==, !=)'],
    ['=web', '"=web" has no field'],
    ['metadata.name=a=b', 'unescaped "=" in the value "a=b"'],
    ['metadata.name=a\\x', 'invalid escape sequence in "a\\x"'],
  ])('rejects %j with a SelectorError', (selector, message) => {
    expect(() => parseFieldSelector(selector)).toThrow(
      new SelectorError(`invalid field selector ${JSON.stringify(selector)}: ${message}`),
    );
  });
});
