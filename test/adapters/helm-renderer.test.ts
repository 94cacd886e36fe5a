import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { HelmRenderer } from '../../lib/adapters/renderers';
import type { HelmOptions, RenderLimits, RenderResult } from '../../lib/core/render';
import { fixturePath } from '../helpers/fixtures';
import { at, LIMITS, renderError, type TempRepo, tarGz, tempRepo } from './render-helpers';

const REPO = fixturePath('render', 'helm');
const BASE: HelmOptions = { releaseName: 'shop', namespace: 'team-a' };

function render(
  options: Partial<HelmOptions> = {},
  repoRoot = REPO,
  appPath = 'charts/demo',
  limits: Partial<RenderLimits> = {},
): Promise<RenderResult> {
  return new HelmRenderer({ ...BASE, ...options }).render({
    repoRoot,
    appPath,
    limits: { ...LIMITS, ...limits },
  });
}

function byKind(result: RenderResult): Record<string, unknown> {
  return Object.fromEntries(result.manifests.map((m) => [m.object.kind, m.object]));
}

describe('HelmRenderer', () => {
  it('renders a chart with its values, a values file from the repository, inline values and its CRDs', async () => {
    const result = await render({
      valueFiles: ['values/prod.yaml'],
      values: { image: { tag: '1.27' }, args: ['--verbose', '$(id)'], greeting: 'inline wins' },
      kubeVersion: 'v1.33.0',
    });
    expect(result.renderer).toBe('helm');
    expect(result.manifests.map((m) => `${m.object.kind}/${m.object.metadata.name}`)).toEqual([
      'CustomResourceDefinition/widgets.example.com',
      'ConfigMap/shop-demo-settings',
      'Deployment/shop-demo',
      'Widget/shop-demo',
    ]);
    const { Deployment, ConfigMap } = byKind(result);
    expect(at(Deployment, 'metadata.namespace')).toBe('team-a');
    expect(at(Deployment, 'spec.replicas')).toBe(3);
    expect(at(Deployment, 'spec.template.spec.containers.0.image')).toBe('nginx:1.27');
    expect(at(Deployment, 'spec.template.spec.containers.0.args')).toEqual(['--verbose', '$(id)']);
    expect(at(ConfigMap, 'data')).toEqual({
      greeting: 'inline wins',
      kubeVersion: 'v1.33.0',
      existing: '{}',
    });
    expect(result.manifests[0]?.source).toEqual({ file: 'charts/demo (helm)', document: 1 });
    expect(result.files).toEqual(expect.arrayContaining(['charts/demo/Chart.yaml', 'values/prod.yaml']));
  });

  it('leaves CRDs out with includeCrds: false, and uses the chart values alone by default', async () => {
    const result = await render({ includeCrds: false });
    expect(result.manifests.map((m) => m.object.kind)).toEqual(['ConfigMap', 'Deployment', 'Widget']);
    expect(at(byKind(result).Deployment, 'spec.replicas')).toBe(1);
  });

  it('kills a render over the output cap', async () => {
    const error = await renderError(render({}, REPO, 'charts/demo', { maxOutputBytes: 300 }));
    expect(error.message).toBe('helm for charts/demo: wrote more than 300 bytes (output limit), killed');
  });

  it.each([
    [{ releaseName: '--enable-helm' }, 'helm.releaseName "--enable-helm" starts with \'-\''],
    [
      { valueFiles: ['--post-renderer=/bin/sh'] },
      'helm.valueFiles[0] "--post-renderer=/bin/sh" starts with \'-\'',
    ],
    [{ kubeVersion: '--helm-command=x' }, 'helm.kubeVersion "--helm-command=x" starts with \'-\''],
    [{ namespace: '--kubeconfig=/root/.kube/config' }, 'helm.namespace "--kubeconfig=/root/.kube/config"'],
  ])('refuses flags smuggled through its options: %j', async (options, message) => {
    const error = await renderError(render(options as Partial<HelmOptions>));
    expect(error.message).toContain(`helm options: ${message}`);
  });

  it('refuses a directory that is not a chart', async () => {
    const error = await renderError(render({}, REPO, 'values'));
    expect(error.message).toBe('values holds no Chart.yaml: not a Helm chart');
  });
});

describe('HelmRenderer on hostile repositories', () => {
  let t: TempRepo;
  beforeEach(async () => {
    t = await tempRepo();
    await cp(join(REPO, 'charts', 'demo'), join(t.repo, 'chart'), { recursive: true });
  });
  afterEach(() => t.remove());

  const refused = async (message: string | RegExp, options: Partial<HelmOptions> = {}) => {
    const error = await renderError(render(options, t.repo, 'chart'));
    if (typeof message === 'string') expect(error.message).toBe(message);
    else expect(error.message).toMatch(message);
  };
  const chartYaml = (extra: string) =>
    t.write('repo/chart/Chart.yaml', `apiVersion: v2\nname: demo\nversion: 0.1.0\n${extra}`);

  it('refuses value files that leave the repository, lexically or through a link', async () => {
    await refused('helm options: helm.valueFiles[0] "../outside/secret.yaml" leaves the repository', {
      valueFiles: ['../outside/secret.yaml'],
    });
    await t.link('/etc/passwd', 'repo/values.yaml');
    await refused(
      'helm options: valueFiles[0] "values.yaml" resolves outside the repository through a symbolic link',
      { valueFiles: ['values.yaml'] },
    );
  });

  it('refuses a chart template symlinked outside the repository', async () => {
    await t.link(join(t.outside, 'secret.yaml'), 'repo/chart/templates/stolen.yaml');
    await refused('chart/templates/stolen.yaml is a symbolic link that resolves outside the repository');
  });

  it('refuses a relative symbolic link chain out of the repository', async () => {
    await t.link('../../hop', 'repo/chart/templates/hop.yaml');
    await t.link('../outside/secret.yaml', 'repo/hop');
    await refused('chart/templates/hop.yaml is a symbolic link that resolves outside the repository');
  });

  it('renders a template linked from elsewhere in the repository as a regular file', async () => {
    await t.write('repo/shared/extra.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\n');
    await t.link('../../shared/extra.yaml', 'repo/chart/templates/extra.yaml');
    const result = await render({}, t.repo, 'chart');
    expect(result.manifests.map((m) => m.object.metadata.name)).toContain('shared');
  });

  it.each([['https://charts.example.com'], ['oci://registry.example.com/charts'], ['@stable']])(
    'refuses a dependency from %s',
    async (repository) => {
      await chartYaml(
        `dependencies:\n  - name: redis\n    version: 1.0.0\n    repository: ${JSON.stringify(repository)}\n`,
      );
      await refused(
        new RegExp(
          `^chart/Chart\\.yaml: dependency "redis" comes from "${repository.replace(/[.]/g, '\\.')}": remote chart repositories and OCI registries are not allowed`,
        ),
      );
    },
  );

  it('refuses a file:// dependency that leaves the repository', async () => {
    await chartYaml(
      'dependencies:\n  - name: lib\n    version: 0.1.0\n    repository: file://../../outside\n',
    );
    await refused(
      'chart/Chart.yaml: dependency "lib" repository "file://../../outside" leaves the repository',
    );
  });

  it('unpacks a packaged subchart, checks it, and renders it', async () => {
    await chartYaml('dependencies:\n  - name: sub\n    version: 0.1.0\n    repository: file://../sub\n');
    await t.write(
      'repo/chart/charts/sub-0.1.0.tgz',
      tarGz([
        { name: 'sub/Chart.yaml', data: 'apiVersion: v2\nname: sub\nversion: 0.1.0\n' },
        {
          name: 'sub/templates/cm.yaml',
          data: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-sub\n',
        },
      ]),
    );
    const result = await render({}, t.repo, 'chart');
    expect(result.manifests.map((m) => m.object.metadata.name)).toContain('shop-sub');
  });

  it.each([
    [{ name: 'sub/templates/link.yaml', type: '2', linkname: '/etc/passwd' }, 'is a symbolic link'],
    [{ name: 'sub/templates/hard.yaml', type: '1', linkname: '/etc/passwd' }, 'is a hard link'],
    [{ name: 'sub/../../escape.yaml', data: 'x' }, "climbs out with '..'"],
    [{ name: '/etc/cron.d/x', data: 'x' }, 'is an absolute path'],
  ])('refuses a packaged subchart holding %j', async (entry, why) => {
    await t.write(
      'repo/chart/charts/sub-0.1.0.tgz',
      tarGz([{ name: 'sub/Chart.yaml', data: 'apiVersion: v2\nname: sub\nversion: 0.1.0\n' }, entry]),
    );
    await refused(new RegExp(`^chart/charts/sub-0\\.1\\.0\\.tgz: entry ".*" ${why.replace(/[.]/g, '\\.')}$`));
  });

  it('refuses a packaged subchart that depends on a remote repository', async () => {
    await t.write(
      'repo/chart/charts/sub-0.1.0.tgz',
      tarGz([
        {
          name: 'sub/Chart.yaml',
          data: 'apiVersion: v2\nname: sub\nversion: 0.1.0\ndependencies:\n  - name: x\n    repository: https://evil.example.com\n',
        },
      ]),
    );
    await refused(
      /^chart\/charts\/sub\/Chart\.yaml: dependency "x" comes from "https:\/\/evil\.example\.com"/,
    );
  });

  it.each([
    [
      '{"properties": {"v": {"$ref": "http://169.254.169.254/latest/meta-data"}}}',
      /\$ref "http:\/\/169\.254/,
    ],
    ['{"properties": {"v": {"$ref": "file:///etc/passwd"}}}', /\$ref "file:\/\/\/etc\/passwd"/],
    ['{"$schema": "https://evil.example.com/meta.json"}', /\$schema "https:\/\/evil\.example\.com/],
  ])('refuses a values schema that loads another document: %s', async (schema, message) => {
    await t.write('repo/chart/values.schema.json', schema);
    await refused(message);
  });

  it('accepts a values schema with local references and a json-schema.org metaschema', async () => {
    await t.write(
      'repo/chart/values.schema.json',
      JSON.stringify({
        $schema: 'https://json-schema.org/draft-07/schema#',
        definitions: { count: { type: 'integer' } },
        properties: { replicaCount: { $ref: '#/definitions/count' } },
      }),
    );
    expect((await render({}, t.repo, 'chart')).manifests.length).toBe(4);
  });
});
