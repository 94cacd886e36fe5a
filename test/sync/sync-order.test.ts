import { type Sandbox, startSandbox } from '../../lib/local/sandbox';
import { copyApp } from '../helpers/app-dir';
import { runCli } from '../helpers/cli';
import { sandboxRequest } from '../helpers/http';

describe('plumbline sync ordering, CRDs and prune annotations', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ controllerDelayMs: 10 });
  });
  afterAll(async () => {
    await sandbox.stop();
  });

  const rv = async (path: string): Promise<number> =>
    Number(
      (await sandboxRequest(sandbox, 'GET', path)).json<{ metadata: { resourceVersion: string } }>().metadata
        .resourceVersion,
    );

  it('establishes a CRD before applying its custom resources in the same sync', async () => {
    const app = copyApp('widgets');
    const run = await runCli([
      'sync',
      app.dir,
      '--app',
      'widgets',
      '--kubeconfig',
      sandbox.kubeconfigPath,
      '-o',
      'json',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const widget = await sandboxRequest(
      sandbox,
      'GET',
      '/apis/example.com/v1/namespaces/default/widgets/sprocket',
    );
    expect(widget.json()).toMatchObject({
      spec: { size: 3 },
      metadata: { labels: { 'plumbline.dev/app': 'widgets' } },
    });
    expect(
      await rv('/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com'),
    ).toBeLessThan(await rv('/apis/example.com/v1/namespaces/default/widgets/sprocket'));
  });

  it('applies lower sync waves of a kind first', async () => {
    expect(await rv('/api/v1/namespaces/default/configmaps/early')).toBeLessThan(
      await rv('/api/v1/namespaces/default/configmaps/late'),
    );
  });

  it('never prunes an object annotated plumbline.dev/prune: disabled', async () => {
    const app = copyApp('widgets');
    app.write('widgets.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: early\ndata: {}\n');
    const run = await runCli([
      'sync',
      app.dir,
      '--app',
      'widgets',
      '--kubeconfig',
      sandbox.kubeconfigPath,
      '--prune',
      '-o',
      'json',
    ]);
    expect(run.code).toBe(0);
    const changes = (
      JSON.parse(run.stdout) as { changes: { subject: string; action: string; reason: string | null }[] }
    ).changes;
    const bySubject = Object.fromEntries(changes.map((c) => [c.subject, c]));
    expect(bySubject['ConfigMap/default/keep-me']).toMatchObject({
      action: 'skipped',
      reason: expect.stringContaining('prune: disabled'),
    });
    expect(bySubject['ConfigMap/default/late']?.action).toBe('deleted');
    expect(bySubject['Widget.example.com/default/sprocket']?.action).toBe('deleted');
    expect(
      (await sandboxRequest(sandbox, 'GET', '/api/v1/namespaces/default/configmaps/keep-me')).status,
    ).toBe(200);
  });
});
