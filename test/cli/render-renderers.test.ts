import { join } from 'node:path';
import { parse } from 'yaml';
import { kubectlKustomize } from '../adapters/render-helpers';
import { runCli } from '../helpers/cli';
import { fixturePath } from '../helpers/fixtures';

const KUSTOMIZE = fixturePath('render', 'kustomize');
const HELM = fixturePath('render', 'helm');
const LABELS = { 'app.kubernetes.io/managed-by': 'plumbline', 'plumbline.dev/app': 'storefront' };

interface Listed {
  items: { kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> } }[];
}

async function renderJson(...args: string[]): Promise<Listed> {
  const run = await runCli(['render', ...args, '-o', 'json']);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as Listed;
}

describe('plumbline render with kustomize and helm', () => {
  it("equals kubectl kustomize of the same overlay plus Plumbline's two labels", async () => {
    const overlay = join(KUSTOMIZE, 'overlays', 'prod');
    const rendered = await renderJson(overlay, '--app', 'storefront', '--repo-root', KUSTOMIZE);
    const expected = (kubectlKustomize(overlay) as Listed['items']).map((o) => ({
      ...o,
      metadata: { ...o.metadata, labels: { ...o.metadata.labels, ...LABELS } },
    }));
    expect(rendered.items).toEqual(expected);
  });

  it('detects kustomize by default and finds the repository root itself', async () => {
    const run = await runCli(['render', join(KUSTOMIZE, 'overlays', 'prod')]);
    expect(run.code).toBe(0);
    const docs = run.stdout.split('---\n').map((d) => parse(d) as Listed['items'][number]);
    expect(docs.map((d) => d.metadata.name)).toContain('prod-web');
    // The app name defaults to the directory's name.
    expect(docs[0]?.metadata.labels?.['plumbline.dev/app']).toBe('prod');
  });

  it('renders a chart with --values, --release, --namespace and --kube-version', async () => {
    const rendered = await renderJson(
      join(HELM, 'charts', 'demo'),
      '--repo-root',
      HELM,
      '--values',
      join(HELM, 'values', 'prod.yaml'),
      '--release',
      'front',
      '-n',
      'shop',
      '--kube-version',
      '1.33',
    );
    expect(rendered.items.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`)).toEqual([
      'CustomResourceDefinition//widgets.example.com',
      'ConfigMap/shop/front-demo-settings',
      'Deployment/shop/front-demo',
      'Widget/shop/front-demo',
    ]);
    expect(rendered.items[1]?.metadata.labels).toEqual({ ...LABELS, 'plumbline.dev/app': 'demo' });
  });

  it('keeps --renderer plain working, and refuses helm flags for other renderers', async () => {
    const plain = await renderJson(fixturePath('render', 'repo', 'apps', 'web'), '--renderer', 'plain');
    expect(plain.items.length).toBe(7);
    const run = await runCli(['render', join(KUSTOMIZE, 'overlays', 'prod'), '--values', 'x.yaml']);
    expect(run).toMatchObject({ code: 2, stdout: '' });
    expect(run.stderr).toMatch(/^error: --values apply to helm only; .* is rendered with kustomize\n$/);
  });

  it('refuses an unknown renderer and an app name the labels cannot carry', async () => {
    const unknown = await runCli(['render', join(KUSTOMIZE, 'base'), '--renderer', 'jsonnet']);
    expect(unknown).toMatchObject({
      code: 2,
      stderr: 'error: unknown renderer "jsonnet": use plain, kustomize, helm, auto\n',
    });
    const bad = await runCli(['render', join(KUSTOMIZE, 'base'), '--app', 'Not_An_App']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: invalid app name "Not_An_App"/);
  });
});
