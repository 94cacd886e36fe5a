import { join } from 'node:path';
import { KustomizeRenderer } from '../../lib/adapters/renderers';
import type { RenderLimits, RenderResult } from '../../lib/core/render';
import { fixturePath } from '../helpers/fixtures';
import { at, kubectlKustomize, LIMITS, renderError, type TempRepo, tempRepo } from './render-helpers';

const REPO = fixturePath('render', 'kustomize');
const renderer = new KustomizeRenderer();

function render(
  repoRoot: string,
  appPath: string,
  limits: Partial<RenderLimits> = {},
): Promise<RenderResult> {
  return renderer.render({ repoRoot, appPath, limits: { ...LIMITS, ...limits } });
}

describe('KustomizeRenderer', () => {
  it('renders an overlay: strategic and JSON 6902 patches, generators, images, namePrefix, a component', async () => {
    const result = await render(REPO, 'overlays/prod');
    expect(result.renderer).toBe('kustomize');
    const byName = new Map(result.manifests.map((m) => [`${m.object.kind}/${m.object.metadata.name}`, m]));
    expect([...byName.keys()]).toEqual([
      'ConfigMap/prod-monitoring-5889b6769h',
      'ConfigMap/prod-settings-t968db4g5m',
      'Secret/prod-creds-hfkb8dmf75',
      'Service/prod-web',
      'Deployment/prod-web',
    ]);
    const deployment = byName.get('Deployment/prod-web')?.object;
    expect(at(deployment, 'spec.replicas')).toBe(3);
    expect(deployment?.metadata.annotations?.['prometheus.io/scrape']).toBe('true');
    const container = 'spec.template.spec.containers.0';
    expect(at(deployment, `${container}.image`)).toBe('registry.example.com/nginx:1.27');
    expect(at(deployment, `${container}.envFrom.0.configMapRef.name`)).toBe('prod-settings-t968db4g5m');
    expect(at(deployment, 'spec.template.spec.volumes.0.secret.defaultMode')).toBe(0o440);
    expect(at(byName.get('Service/prod-web')?.object, 'spec.ports.0.port')).toBe(8443);
    const password = at(byName.get('Secret/prod-creds-hfkb8dmf75')?.object, 'data.password');
    expect(Buffer.from(String(password), 'base64').toString()).toBe('correct-horse-battery');
    expect(result.manifests[0]?.source).toEqual({ file: 'overlays/prod (kustomize)', document: 1 });
    expect(result.files).toEqual(
      expect.arrayContaining([
        'overlays/prod/kustomization.yaml',
        'overlays/prod/config/password.txt',
        'base/deployment.yaml',
        'components/monitoring/kustomization.yaml',
      ]),
    );
  });

  it('gives exactly what kubectl kustomize gives when run directly', async () => {
    const result = await render(REPO, 'overlays/prod');
    expect(result.manifests.map((m) => m.object)).toEqual(kubectlKustomize(join(REPO, 'overlays', 'prod')));
  });

  it('kills a render over the output cap', async () => {
    const error = await renderError(render(REPO, 'overlays/prod', { maxOutputBytes: 200 }));
    expect(error.message).toBe(
      'kustomize for overlays/prod: wrote more than 200 bytes (output limit), killed',
    );
  });

  it('kills a render over the time limit', async () => {
    const error = await renderError(render(REPO, 'overlays/prod', { maxRenderMs: 1 }));
    expect(error.message).toBe(
      'kustomize for overlays/prod: did not finish within 1 ms (time limit), killed',
    );
  });

  it('refuses a copy over maxTotalBytes before running anything', async () => {
    const error = await renderError(render(REPO, 'overlays/prod', { maxTotalBytes: 100 }));
    expect(error.message).toMatch(/over the 100-byte limit \(maxTotalBytes\)$/);
  });
});

describe('KustomizeRenderer on hostile repositories', () => {
  let t: TempRepo;
  beforeEach(async () => {
    t = await tempRepo();
    await t.write('repo/base/kustomization.yaml', 'resources: [cm.yaml]\n');
    await t.write('repo/base/cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: base\n');
  });
  afterEach(() => t.remove());

  const app = (kustomization: string) => t.write('repo/app/kustomization.yaml', kustomization);
  const refused = async (message: string | RegExp) => {
    const error = await renderError(render(t.repo, 'app'));
    if (typeof message === 'string') expect(error.message).toBe(message);
    else expect(error.message).toMatch(message);
  };

  it('renders a base reached through a symbolic link inside the repository, and hidden files', async () => {
    await t.link('../base', 'repo/app/linked');
    await t.write('repo/app/.settings.env', 'A=1\n');
    await app('resources: [linked]\nconfigMapGenerator:\n- name: env\n  envs: [.settings.env]\n');
    const result = await render(t.repo, 'app');
    expect(result.manifests.map((m) => m.object.metadata.name)).toEqual(['base', 'env-89g4tffbfk']);
  });

  it('surfaces kustomize errors on one line, with repository paths rather than temporary ones', async () => {
    await t.write('repo/app/broken.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: [\n');
    await app('resources: [broken.yaml]\n');
    const error = await renderError(render(t.repo, 'app'));
    expect(error.message).toMatch(/^kustomize for app: failed with exit code 1: error: /);
    expect(error.message).not.toMatch(/plumbline-render-|\/tmp\//);
  });

  it.each([
    ['https://github.com/kubernetes-sigs/kustomize//examples/helloWorld?ref=v1.0.6'],
    ['github.com/kubernetes-sigs/kustomize/examples/helloWorld'],
    ['git::https://example.com/repo.git'],
    ['git@github.com:org/repo.git'],
    ['ssh://git@example.com/repo'],
    ['base?ref=main'],
  ])('refuses the remote resource %s', async (remote) => {
    await app(`resources:\n- ${JSON.stringify(remote)}\n`);
    await refused(
      `app/kustomization.yaml: resources ${JSON.stringify(remote)} is a remote reference: only paths inside the repository are allowed`,
    );
  });

  it.each([
    ['resources', 'resources: [../../outside]'],
    ['bases', 'bases: [../../outside]'],
    ['components', 'components: [../base/../../outside]'],
    ['patches.path', 'patches:\n- path: ../../outside/secret.yaml'],
    ['configMapGenerator.files', 'configMapGenerator:\n- name: x\n  files: [key=../../outside/secret.yaml]'],
    ['secretGenerator.envs', 'secretGenerator:\n- name: x\n  envs: [../../outside/secret.yaml]'],
    ['patchesStrategicMerge', 'patchesStrategicMerge: [../../outside/secret.yaml]'],
  ])('refuses ../ out of the repository in %s', async (field, yaml) => {
    await app(`${yaml}\n`);
    await refused(
      new RegExp(`^app/kustomization\\.yaml: ${field.replace('.', '\\.')} ".*" leaves the repository$`),
    );
  });

  it('refuses ../ out of the repository in a base reached from the app', async () => {
    await t.write('repo/base/kustomization.yaml', 'resources: [../../outside]\n');
    await app('resources: [../base]\n');
    await refused('base/kustomization.yaml: resources "../../outside" leaves the repository');
  });

  it("refuses a file outside the kustomization's directory, as kustomize's load restrictor would", async () => {
    await app('resources: [../base]\npatches:\n- path: ../base/cm.yaml\n');
    await refused(
      'app/kustomization.yaml: patches.path "../base/cm.yaml" is outside app: files must be in or below the kustomization\'s directory',
    );
  });

  it('refuses absolute paths and paths that do not exist', async () => {
    await app('resources: [/etc/kubernetes]\n');
    await refused(
      'app/kustomization.yaml: resources "/etc/kubernetes" is an absolute path: only paths relative to the file are allowed',
    );
    await app('resources: [nowhere]\n');
    await refused('app/kustomization.yaml: resources "nowhere" does not exist in the repository');
  });

  it('refuses an absolute symbolic link, referenced or not', async () => {
    await t.link('/etc/passwd', 'repo/app/passwd.yaml');
    await app('resources: [passwd.yaml]\n');
    await refused(
      'app/kustomization.yaml: resources "passwd.yaml" resolves outside the repository through a symbolic link',
    );
    await app('resources: [../base]\n');
    await refused('app/passwd.yaml is a symbolic link that resolves outside the repository');
  });

  it('refuses a chain of relative symbolic links that ends outside the repository', async () => {
    await t.link('../hop', 'repo/app/a');
    await t.link('../outside', 'repo/hop');
    await app('resources: [a]\n');
    await refused(
      'app/kustomization.yaml: resources "a" resolves outside the repository through a symbolic link',
    );
  });

  it.each([
    ['helmCharts', 'helmCharts:\n- name: x\n  repo: https://charts.example.com'],
    ['helmGlobals', 'helmGlobals:\n  chartHome: charts'],
  ])('refuses helm inflation (%s)', async (field, yaml) => {
    await app(`${yaml}\n`);
    await refused(`app/kustomization.yaml: ${field}: helm inflation is not allowed`);
  });

  it('refuses KRM functions in generators, transformers and validators', async () => {
    await t.write(
      'repo/app/fn.yaml',
      'apiVersion: example.com/v1\nkind: Fn\nmetadata:\n  name: fn\n  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: /bin/sh\n',
    );
    await app('transformers: [fn.yaml]\n');
    await refused(
      'app/fn.yaml: KRM functions (config.kubernetes.io/function: exec or container) are not allowed',
    );
    await app(
      'generators:\n- |-\n  apiVersion: v1\n  kind: Gen\n  metadata:\n    name: g\n    annotations:\n      config.kubernetes.io/function: "container: {image: evil}"\n',
    );
    await refused(
      'app/kustomization.yaml (inline generators): KRM functions (config.kubernetes.io/function: exec or container) are not allowed',
    );
    await t.write('repo/plugins/kustomization.yaml', 'resources: [fn.yaml]\n');
    await t.write(
      'repo/plugins/fn.yaml',
      'apiVersion: someteam.example.com/v1\nkind: ChartInflator\nmetadata:\n  name: x\n',
    );
    await app('validators: [../plugins]\n');
    await refused(/^plugins\/fn\.yaml: plugin ChartInflator .* is not a builtin kustomize plugin/);
  });

  it('accepts builtin transformer configurations', async () => {
    await app(
      'resources: [../base]\ntransformers:\n- |-\n  apiVersion: builtin\n  kind: PrefixSuffixTransformer\n  metadata:\n    name: p\n  prefix: t-\n  fieldSpecs: [{path: metadata/name}]\n',
    );
    expect((await render(t.repo, 'app')).manifests.map((m) => m.object.metadata.name)).toEqual(['t-base']);
  });

  it('refuses an app directory without a kustomization, or with two', async () => {
    await t.write('repo/empty/x.yaml', 'a: 1\n');
    await expect(renderError(render(t.repo, 'empty'))).resolves.toMatchObject({
      message: 'empty holds no kustomization.yaml, kustomization.yml or Kustomization',
    });
    await app('resources: [../base]\n');
    await t.write('repo/app/kustomization.yml', 'resources: []\n');
    await refused('app holds both app/kustomization.yaml and app/kustomization.yml: keep one');
  });
});
