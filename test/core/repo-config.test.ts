import { stringify } from 'yaml';
import {
  appsForCluster,
  findApp,
  parseRepoConfig,
  RepoConfigError,
  UnknownAppError,
} from '../../lib/core/repo-config';

const APP = { name: 'web', path: 'apps/web', cluster: 'prod', namespace: 'web' };

function configWith(app: Record<string, unknown>, ...more: Record<string, unknown>[]): string {
  return stringify({ version: 1, apps: [{ ...APP, ...app }, ...more] });
}

function errorOf(text: string): RepoConfigError {
  try {
    parseRepoConfig(text);
  } catch (err: unknown) {
    if (err instanceof RepoConfigError) return err;
    throw err;
  }
  throw new Error('expected a RepoConfigError');
}

describe('parseRepoConfig', () => {
  it('applies the defaults: auto renderer, prune, detect-only, no wait, 5m, no empty render, adopted kept, 50% share, 8 MiB files', () => {
    const config = parseRepoConfig(configWith({ path: './apps/web/' }));
    expect(config.apps[0]).toEqual({
      ...APP,
      renderer: { type: 'auto', helm: { releaseName: 'web', namespace: 'web' } },
      dependsOn: [],
      prune: true,
      selfHeal: false,
      wait: false,
      timeout: '5m',
      timeoutSeconds: 300,
      allowEmpty: false,
      pruneAdopted: false,
      pruneShare: 50,
      maxFileBytes: 8 * 1024 * 1024,
      ignoreDifferences: [],
    });
  });

  it('reads the prune safety settings and refuses a share outside 1 to 100 percent', () => {
    const config = parseRepoConfig(configWith({ allowEmpty: true, pruneAdopted: true, pruneShare: 100 }));
    expect(config.apps[0]).toMatchObject({ allowEmpty: true, pruneAdopted: true, pruneShare: 100 });
    expect(() => parseRepoConfig(configWith({ pruneShare: 0 }))).toThrow(/apps\[0\]\.pruneShare/);
    expect(() => parseRepoConfig(configWith({ pruneShare: 0.5 }))).toThrow(/apps\[0\]\.pruneShare/);
    expect(() => parseRepoConfig(configWith({ allowEmpty: 'yes' }))).toThrow(/apps\[0\]\.allowEmpty/);
  });

  it('reads policies, dependsOn and a helm block given beside the renderer', () => {
    const config = parseRepoConfig(
      configWith({
        renderer: 'helm',
        helm: { releaseName: 'api', valueFiles: ['values/api-prod.yaml'], values: { replicas: 3 } },
        dependsOn: ['charts/common/', 'charts/common'],
        prune: false,
        selfHeal: true,
        wait: true,
        timeout: '1m30s',
      }),
    );
    expect(config.apps[0]).toMatchObject({
      renderer: {
        type: 'helm',
        helm: { releaseName: 'api', namespace: 'web', valueFiles: ['values/api-prod.yaml'] },
      },
      dependsOn: ['charts/common'],
      prune: false,
      selfHeal: true,
      wait: true,
      timeoutSeconds: 90,
    });
  });

  it.each([
    [
      'a namespace that is no DNS label',
      { namespace: 'Bad_NS' },
      'apps[0].namespace: invalid DNS label "Bad_NS" (lowercase letters, digits and \'-\', at most 63)',
    ],
    [
      'an app name longer than 63',
      { name: 'a'.repeat(64) },
      `apps[0].name: invalid DNS label "${'a'.repeat(64)}"`,
    ],
    ['a path with ..', { path: 'apps/../secrets' }, `apps[0].path: "apps/../secrets" contains '..'`],
    [
      'an absolute path',
      { path: '/etc' },
      'apps[0].path: "/etc" is absolute: paths are relative to the repository root',
    ],
    ['a path inside .git', { path: '.git/hooks' }, 'apps[0].path: ".git/hooks" is inside .git'],
    [
      'a path that looks like a flag',
      { path: '--enable-helm' },
      `apps[0].path: "--enable-helm" starts with '-'`,
    ],
    [
      'a dependsOn path leaving the repository',
      { dependsOn: ['../other'] },
      `apps[0].dependsOn[0]: "../other" contains '..'`,
    ],
    ['a cluster name with spaces', { cluster: 'prod eu' }, 'apps[0].cluster: invalid cluster name "prod eu"'],
    [
      'an unknown renderer',
      { renderer: 'jsonnet' },
      'apps[0].renderer: unknown renderer "jsonnet" (known: plain, kustomize, helm, auto)',
    ],
    [
      'a helm value file that is a flag',
      { renderer: 'helm', helm: { valueFiles: ['--post-renderer=x'] } },
      `apps[0].helm.valueFiles[0]: "--post-renderer=x" starts with '-'`,
    ],
    [
      'helm options for a plain app',
      { renderer: 'plain', helm: { releaseName: 'x' } },
      'apps[0].renderer: unknown key "helm"',
    ],
    [
      'a timeout that is no duration',
      { timeout: '5 minutes' },
      'apps[0].timeout: invalid duration "5 minutes" (like 90s, 5m or 1m30s)',
    ],
    [
      'a timeout past the Lambda limit',
      { timeout: '1h' },
      'apps[0].timeout: duration "1h" is longer than 15m',
    ],
    ['a policy that is not a boolean', { prune: 'yes' }, 'apps[0].prune: must be a boolean, got "yes"'],
    ['a misspelt policy', { selfheal: true }, 'apps[0].selfheal: unknown field, did you mean selfHeal?'],
    ['an unknown field', { replicas: 3 }, 'apps[0].replicas: unknown field (known: name, path, cluster'],
    ['a missing cluster', { cluster: undefined }, 'apps[0].cluster: required'],
  ])('refuses %s with a one-line message naming the field', (_what, app, message) => {
    const err = errorOf(configWith(app));
    expect(err.message).toContain(`plumbline.yaml: ${message}`);
    expect(err.message).not.toMatch(/\n/);
    expect(err.issues).toHaveLength(1);
  });

  it.each([
    ['a version other than 1', 'version: 2\napps: []\n', 'plumbline.yaml: version: must be 1, got 2'],
    [
      'apps that are not a list',
      'version: 1\napps: {}\n',
      'plumbline.yaml: apps: must be a list, got a mapping',
    ],
    ['a document that is not a mapping', '- 1\n', 'plumbline.yaml: must be a mapping with version and apps'],
    ['an empty file', '', 'plumbline.yaml: is empty'],
    [
      'two documents',
      'version: 1\napps: []\n---\nversion: 1\napps: []\n',
      'plumbline.yaml: holds 2 YAML documents, one expected',
    ],
    [
      'a duplicate key',
      'version: 1\nversion: 1\napps: []\n',
      'plumbline.yaml: line 2, column 1: Map keys must be unique',
    ],
    ['broken YAML', 'version: 1\napps: [\n', 'plumbline.yaml: line 3, column 1:'],
    [
      'a file over 1 MiB',
      `version: 1\napps: []\n#${'x'.repeat(1024 * 1024)}\n`,
      'plumbline.yaml: larger than 1 MiB',
    ],
    [
      'nesting past 64 levels',
      `version: 1\napps: []\nx: ${'['.repeat(100)}${']'.repeat(100)}\n`,
      'plumbline.yaml: nested deeper than 64 levels',
    ],
  ])('refuses %s', (_what, text, message) => {
    expect(errorOf(text).message).toContain(message);
  });

  it('refuses an alias bomb before it expands', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 10; i++)
      lines.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    expect(errorOf(`${lines.join('\n')}\n`).message).toMatch(/^plumbline\.yaml: .*alias/i);
  });

  it('refuses duplicate app names, naming both', () => {
    const err = errorOf(configWith({}, { ...APP, path: 'apps/web2', cluster: 'staging' }));
    expect(err.message).toBe('plumbline.yaml: apps[1].name: duplicate app name "web" (also apps[0])');
  });

  it('keeps every mistake in issues, the first one in the message, in app order', () => {
    const err = errorOf(
      configWith({ namespace: 'Bad_NS', timeout: 'soon' }, { ...APP, name: 'web', path: '/abs' }),
    );
    expect(err.message).toBe(
      'plumbline.yaml: apps[0].namespace: invalid DNS label "Bad_NS" (lowercase letters, digits and \'-\', at most 63) (and 2 more)',
    );
    expect(err.issues.map((issue) => issue.path)).toEqual([
      'apps[0].namespace',
      'apps[1].path',
      'apps[1].name',
    ]);
  });

  it('reads the same config through the fast path and the full YAML parser', () => {
    const text = configWith({ renderer: 'helm', helm: { values: { a: [1, 'x', null] } }, timeout: '2m' });
    // A `&` anywhere, even in a comment, sends the text to the full parser (alias limits).
    expect(parseRepoConfig(`${text}# & full parser\n`)).toEqual(parseRepoConfig(text));
  });

  it('expands merge keys within the alias budget', () => {
    const text = `version: 1\ndefaults: &d {cluster: prod, namespace: web}\napps: [{<<: *d, name: web, path: apps/web}]\n`;
    expect(errorOf(text).message).toBe('plumbline.yaml: defaults: unknown field (known: version, apps)');
    const ok =
      'version: 1\napps:\n  - &web {name: web, path: apps/web, cluster: prod, namespace: web}\n  - {<<: *web, name: web2}\n';
    expect(parseRepoConfig(ok).apps[1]).toMatchObject({ name: 'web2', path: 'apps/web', cluster: 'prod' });
  });

  it('names the file it was given', () => {
    expect(() => parseRepoConfig('version: 3\napps: []\n', 'repo/plumbline.yaml')).toThrow(
      /^repo\/plumbline\.yaml: version:/,
    );
  });

  it('accepts the repository root as a path and an empty list of apps', () => {
    expect(parseRepoConfig(configWith({ path: '.' })).apps[0]!.path).toBe('.');
    expect(parseRepoConfig('version: 1\napps: []\n').apps).toEqual([]);
  });
});

describe('appsForCluster and findApp', () => {
  const config = parseRepoConfig(
    configWith({}, { ...APP, name: 'api', cluster: 'staging' }, { ...APP, name: 'jobs', path: 'apps/jobs' }),
  );

  it('lists the apps of one cluster in file order', () => {
    expect(appsForCluster(config, 'prod').map((app) => app.name)).toEqual(['web', 'jobs']);
    expect(appsForCluster(config, 'nowhere')).toEqual([]);
  });

  it('finds an app by name and refuses an unknown one, listing the known apps', () => {
    expect(findApp(config, 'api').cluster).toBe('staging');
    expect(() => findApp(config, 'wbe')).toThrow(UnknownAppError);
    expect(() => findApp(config, 'wbe')).toThrow('plumbline.yaml: no app named "wbe" (apps: web, api, jobs)');
  });
});
