import { ManifestError } from '../../lib/core/manifests/errors';
import type { KubeObject } from '../../lib/core/manifests/object';
import { findDuplicates, parseManifests } from '../../lib/core/manifests/parse';
import { DEFAULT_RENDER_LIMITS, type RenderedManifest } from '../../lib/core/render';
import { readFixture } from '../helpers/fixtures';

const LIMITS = DEFAULT_RENDER_LIMITS;

function load(name: string, limits = LIMITS, offset?: number): RenderedManifest[] {
  return parseManifests(readFixture('render', 'manifests', name), `manifests/${name}`, limits, offset);
}

/** The ManifestError `run` throws; fails the test if it returns or throws anything else. */
function errorOf(run: () => unknown): ManifestError {
  try {
    run();
  } catch (err: unknown) {
    if (err instanceof ManifestError) return err;
    throw err;
  }
  throw new Error('expected a ManifestError, got none');
}

function expectOneLine(error: Error, message: string): void {
  expect(error.message).toBe(message);
  expect(error.message).not.toMatch(/[\r\n\u2028\u2029]/);
  expect(error.name).toBe('ManifestError');
}

function names(manifests: RenderedManifest[]): string[] {
  return manifests.map((m) => `${m.object.kind}/${m.object.metadata.name}@${m.source.document}`);
}

const SUBDOMAIN_RULE =
  "a DNS-1123 subdomain: at most 253 lowercase letters, digits, '-' or '.', each part starting and ending with a letter or digit";
const LABEL_RULE =
  "a DNS-1123 label: at most 63 lowercase letters, digits or '-', starting and ending with a letter or digit";

const INVALID: [string, string][] = [
  ['not-a-mapping.yaml', '(document 1): a manifest must be a mapping, not a sequence'],
  ['scalar.yaml', '(document 1): a manifest must be a mapping, not a string'],
  ['missing-api-version.yaml', '(document 1): apiVersion is required'],
  ['empty-kind.yaml', '(document 1): kind must not be empty'],
  ['missing-metadata.yaml', '(document 1): metadata is required'],
  ['metadata-sequence.yaml', '(document 1): metadata must be a mapping, not a sequence'],
  ['missing-name.yaml', '(document 2): metadata.name is required'],
  [
    'generate-name.yaml',
    '(document 1): metadata.generateName is supported for hooks only (helm.sh/hook, argocd.argoproj.io/hook): GitOps needs a stable metadata.name',
  ],
  ['numeric-name.yaml', '(document 1): metadata.name must be a string, not a number'],
  ['bad-name.yaml', `(document 1): metadata.name "Web_App" of a ConfigMap is not ${SUBDOMAIN_RULE}`],
  [
    'long-name.yaml',
    `(document 1): metadata.name "${'a'.repeat(80)}…" of a ConfigMap is not ${SUBDOMAIN_RULE}`,
  ],
  ['namespace-with-dot.yaml', `(document 1): metadata.name "shop.prod" of a Namespace is not ${LABEL_RULE}`],
  ['service-with-dot.yaml', `(document 1): metadata.name "web.v1" of a Service is not ${LABEL_RULE}`],
  ['bad-namespace.yaml', `(document 1): metadata.namespace "Shop" is not ${LABEL_RULE}`],
  [
    'label-not-string.yaml',
    '(document 1): metadata.labels["enabled"] must be a string, not a boolean (quote it)',
  ],
  [
    'annotations-sequence.yaml',
    '(document 1): metadata.annotations must be a mapping of strings, not a sequence',
  ],
  [
    'control-character-key.yaml',
    '(document 1): metadata.labels["line\\nbreak"] must be a string, not a number (quote it)',
  ],
  ['duplicate-key.yaml', '(document 2): invalid YAML: Map keys must be unique at line 10, column 3'],
  [
    'syntax-error.txt',
    '(document 1): invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ] at line 6, column 23',
  ],
  ['list-without-items.yaml', '(document 1): a List needs items, a sequence'],
  ['list-item-invalid.yaml', '(document 1, items[1]): kind is required'],
  ['nested-list.yaml', '(document 1, items[0]): a List inside a List is not supported'],
];

describe('parseManifests', () => {
  it('loads every document of a multi-document file, skipping empty and null ones but counting them', () => {
    expect(names(load('multi.yaml'))).toEqual(['ConfigMap/first@2', 'ConfigMap/second@4']);
    expect(load('multi.yaml').every((m) => m.source.file === 'manifests/multi.yaml')).toBe(true);
  });

  it('reads a JSON file as YAML', () => {
    const [manifest] = load('app.json');
    expect(manifest?.object).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'api', namespace: 'shop', labels: { tier: 'backend' } },
      spec: { replicas: 1 },
    });
  });

  it("expands a v1 List and a typed …List into their items, which keep the List's document number", () => {
    expect(names(load('list.yaml'))).toEqual(['ConfigMap/one@1', 'ConfigMap/two@1', 'ConfigMap/three@2']);
    expect(names(load('deployment-list.yaml'))).toEqual(['Deployment/api@1', 'Deployment/worker@1']);
  });

  it('reads YAML as kubectl does: 0644 is octal, yes is a string, merge keys merge', () => {
    const [manifest] = load('yaml-features.yaml');
    const spec = manifest?.object.spec as {
      template: { metadata: unknown; spec: Record<string, unknown[]> };
    };
    expect(spec.template.metadata).toEqual({ labels: { app: 'web', track: 'stable' } });
    expect(spec.template.spec.volumes).toEqual([
      {
        name: 'config',
        secret: { secretName: 'web', defaultMode: 0o644, items: [{ key: 'a', path: 'a', mode: 0o600 }] },
      },
    ]);
    expect(spec.template.spec.containers).toEqual([
      { name: 'web', image: 'nginx', env: [{ name: 'ENABLED', value: 'yes' }] },
    ]);
  });

  it('drops an empty namespace and null annotations, which the API server would ignore', () => {
    const [manifest] = load('yaml-features.yaml');
    expect(manifest?.object.metadata).toEqual({ name: 'web', labels: { app: 'web' } });
  });

  it('returns no shared objects where YAML aliases repeat a value, so editing one place leaves the other', () => {
    const [manifest] = load('yaml-features.yaml');
    const object = manifest?.object as KubeObject;
    const selector = (object.spec as { selector: { matchLabels: Record<string, string> } }).selector;
    expect(selector.matchLabels).not.toBe(object.metadata.labels);
    (object.metadata.labels as Record<string, string>)['plumbline.dev/app'] = 'web';
    expect(selector.matchLabels).toEqual({ app: 'web' });
  });

  it('keeps a __proto__ key as data and never touches a prototype', () => {
    const [manifest] = load('yaml-features.yaml');
    const object = manifest?.object as KubeObject;
    expect(Object.getPrototypeOf(object)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(object, '__proto__')?.value).toEqual({ polluted: true });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('accepts RBAC names with colons, which the API server allows for RBAC kinds', () => {
    expect(names(load('rbac-names.yaml'))).toEqual([
      'ClusterRole/system:plumbline:reader@1',
      'ClusterRoleBinding/system:plumbline:reader@2',
    ]);
  });

  it('returns nothing for an empty file', () => {
    expect(parseManifests('', 'empty.yaml', LIMITS)).toEqual([]);
    expect(parseManifests('# only a comment\n---\n', 'empty.yaml', LIMITS)).toEqual([]);
  });

  it.each(INVALID)(
    'refuses invalid/%s with a one-line message naming the file and document',
    (name, detail) => {
      const error = errorOf(() =>
        parseManifests(readFixture('render', 'invalid', name), `invalid/${name}`, LIMITS),
      );
      expectOneLine(error, `invalid/${name} ${detail}`);
    },
  );

  it('keeps the cause of a YAML error', () => {
    const text = readFixture('render', 'invalid', 'duplicate-key.yaml');
    const error = errorOf(() => parseManifests(text, 'duplicate-key.yaml', LIMITS));
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('escapes line breaks in the file name so the message stays on one line', () => {
    const error = errorOf(() => parseManifests('kind: ConfigMap\n', 'apps/we\nb\u2028.yaml', LIMITS));
    expectOneLine(error, 'apps/we\\nb\\u2028.yaml (document 1): apiVersion is required');
  });
});

describe('parseManifests limits', () => {
  it('refuses a billion-laughs alias bomb instead of expanding it', () => {
    const error = errorOf(() => load('alias-bomb.yaml'));
    expectOneLine(
      error,
      'manifests/alias-bomb.yaml (document 1): YAML aliases expand beyond the limit of 100 (maxAliasCount)',
    );
  });

  it('refuses 100,000 nested flow sequences without overflowing the stack', () => {
    const text = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const error = errorOf(() => parseManifests(text, 'deep.yaml', LIMITS));
    expectOneLine(error, 'deep.yaml (document 1): nested deeper than 64 levels (maxDepth)');
  });

  it('refuses 100,000 nested block sequences and flow mappings in a later document', () => {
    const block = `${'- '.repeat(100_000)}x`;
    expectOneLine(
      errorOf(() => parseManifests(block, 'deep.yaml', LIMITS)),
      'deep.yaml (document 1): nested deeper than 64 levels (maxDepth)',
    );
    const flow = `a: 1\n---\n${'{a: '.repeat(100_000)}1${'}'.repeat(100_000)}\n`;
    expectOneLine(
      errorOf(() => parseManifests(flow, 'deep.yaml', LIMITS)),
      'deep.yaml (document 2): nested deeper than 64 levels (maxDepth)',
    );
  });

  it('accepts exactly maxDepth levels and refuses one more', () => {
    const nested = (levels: number) =>
      `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: ${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}\n`;
    const limits = { ...LIMITS, maxDepth: 5 };
    expect(parseManifests(nested(5), 'ok.yaml', limits)).toHaveLength(1);
    expectOneLine(
      errorOf(() => parseManifests(nested(6), 'deep.yaml', limits)),
      'deep.yaml (document 1): nested deeper than 5 levels (maxDepth)',
    );
  });

  it('refuses nesting that only an alias makes too deep', () => {
    expect(load('alias-deeper.yaml', { ...LIMITS, maxDepth: 4 })).toHaveLength(1);
    expectOneLine(
      errorOf(() => load('alias-deeper.yaml', { ...LIMITS, maxDepth: 3 })),
      'manifests/alias-deeper.yaml (document 1): nested deeper than 3 levels (maxDepth)',
    );
  });

  it('refuses a recursive alias, which would be a cycle', () => {
    const text = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nloop: &loop [*loop]\n';
    expectOneLine(
      errorOf(() => parseManifests(text, 'cycle.yaml', LIMITS)),
      'cycle.yaml (document 1): nested deeper than 64 levels (maxDepth)',
    );
  });

  it('refuses more documents than maxDocuments, counting those the caller already loaded', () => {
    expect(load('four-docs.yaml', { ...LIMITS, maxDocuments: 4 })).toHaveLength(4);
    expectOneLine(
      errorOf(() => load('four-docs.yaml', { ...LIMITS, maxDocuments: 3 })),
      'manifests/four-docs.yaml (document 4): more than 3 documents (maxDocuments)',
    );
    expectOneLine(
      errorOf(() => load('four-docs.yaml', { ...LIMITS, maxDocuments: 5 }, 3)),
      'manifests/four-docs.yaml (document 3): more than 5 documents (maxDocuments)',
    );
  });

  it('counts the items of a List against maxDocuments', () => {
    expect(load('list.yaml', { ...LIMITS, maxDocuments: 3 })).toHaveLength(3);
    expectOneLine(
      errorOf(() => load('list.yaml', { ...LIMITS, maxDocuments: 2 })),
      'manifests/list.yaml (document 1): more than 2 documents (maxDocuments)',
    );
  });

  it('stops at the document limit before parsing the documents past it', () => {
    const text = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n[unclosed\n';
    expectOneLine(
      errorOf(() => parseManifests(text, 'many.yaml', { ...LIMITS, maxDocuments: 1 })),
      'many.yaml (document 2): more than 1 documents (maxDocuments)',
    );
  });
});

describe('findDuplicates', () => {
  const configMap = (namespace?: string): KubeObject => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: namespace ? { name: 'settings', namespace } : { name: 'settings' },
  });
  const at = (object: KubeObject, file: string, document: number): RenderedManifest => ({
    object,
    source: { file, document },
  });

  it('names both sources of the first object declared twice', () => {
    const manifests = [
      at(configMap('shop'), 'apps/web/a.yaml', 1),
      at(configMap('shop'), 'apps/web/b.yaml', 2),
      at(configMap('shop'), 'apps/web/c.yaml', 1),
    ];
    expectOneLine(
      errorOf(() => findDuplicates(manifests)),
      '/ConfigMap/shop/settings is declared twice: apps/web/a.yaml (document 1) and apps/web/b.yaml (document 2)',
    );
  });

  it('applies the default namespace before comparing', () => {
    const manifests = [at(configMap('shop'), 'a.yaml', 1), at(configMap(), 'b.yaml', 1)];
    expect(() => findDuplicates(manifests)).not.toThrow();
    expectOneLine(
      errorOf(() => findDuplicates(manifests, () => 'shop')),
      '/ConfigMap/shop/settings is declared twice: a.yaml (document 1) and b.yaml (document 1)',
    );
  });

  it('tells apart objects that differ in group, kind or namespace', () => {
    const widget: KubeObject = {
      apiVersion: 'example.com/v1',
      kind: 'ConfigMap',
      metadata: { name: 'settings' },
    };
    const secret: KubeObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'settings' } };
    const manifests = [configMap(), configMap('other'), widget, secret].map((o, i) => at(o, 'a.yaml', i + 1));
    expect(() => findDuplicates(manifests)).not.toThrow();
  });
});

describe('parseManifests fast path', () => {
  it('gives the same manifests as the full YAML parser for plain and JSON documents', () => {
    const texts = [
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels: {x: "1"}\ndata:\n  k: v\n  n: "10"\n---\n# comment\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  replicas: 3\n  template:\n    spec:\n      containers: [{name: c, image: "i:1", args: ["--x=1", "-v"]}]\n',
      '{"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "stringData": {"a": "b"}}]}',
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: types\ndata:\n  t: true\n  f: 1.5\n  h: 0x1F\n  nul: ~\n  yes: yes\n  long: |\n    line one\n    line two\n',
    ];
    for (const text of texts) {
      expect(parseManifests(text, 'f.yaml', DEFAULT_RENDER_LIMITS)).toEqual(
        parseManifests(text, 'f.yaml', DEFAULT_RENDER_LIMITS, 0, { fast: false }),
      );
    }
  });
});

describe('parseManifests errors never quote a value', () => {
  const secret = (value: string) =>
    `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: ${value}\n`;

  it.each([
    ['an alias-like value', '*Xq7pL9zzK2'],
    ['a block-scalar-like value', '|Xq7pL9zzK2'],
    ['a tag-like value', '!a!Xq7pL9zzK2'],
  ])('%s says what and where, without the text', (_what, value) => {
    let message = '';
    try {
      parseManifests(secret(value), 'secret.yaml', DEFAULT_RENDER_LIMITS);
    } catch (err: unknown) {
      message = err instanceof Error ? err.message : String(err);
    }
    expect(message).toMatch(/^secret\.yaml \(document 1\): invalid YAML: /);
    expect(message).not.toContain('Xq7pL9zzK2');
  });
});
