import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Sandbox, startSandbox } from '../../lib/local/sandbox';
import { copyApp } from '../helpers/app-dir';
import { runCli } from '../helpers/cli';
import { sandboxRequest } from '../helpers/http';

/**
 * Plumbline applies with fieldValidation=Strict, as kubectl does by default: a field the schema
 * does not declare (a typo) fails its object, where the server's default would drop it silently
 * and the declared field would show as drift on every check.
 */
describe('what the API server says of an apply: unknown fields, warnings', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ controllerDelayMs: 10 });
  });
  afterAll(async () => {
    await sandbox.stop();
  });

  it('fail the object that carries them, with the server’s message', async () => {
    const app = copyApp('widgets');
    app.write(
      'typo.yaml',
      'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: typo\nspec:\n  sise: 4\n',
    );
    const sync = await runCli([
      'sync',
      app.dir,
      '--app',
      'widgets',
      '-n',
      'default',
      '--kubeconfig',
      sandbox.kubeconfigPath,
      '--allow-cluster-scoped',
      '-o',
      'json',
    ]);
    expect(sync.code).toBe(1);
    const changes = (
      JSON.parse(sync.stdout) as { changes: { subject: string; action: string; reason: string | null }[] }
    ).changes;
    expect(changes.find((c) => c.subject === 'Widget.example.com/default/typo')).toEqual(
      expect.objectContaining({
        action: 'failed',
        reason: expect.stringContaining('strict decoding error: unknown field "spec.sise"'),
      }),
    );
    expect(changes.find((c) => c.subject === 'Widget.example.com/default/sprocket')?.action).toBe('created');
  });

  it('reports what the API server warns of with an apply, per object', async () => {
    const app = copyApp('shop');
    const warning = 'policy "no-latest" says: image tag "latest" is discouraged';
    sandbox.faults.add({ verb: 'apply', path: '/deployments/shop$', warning });
    const args = ['sync', app.dir, '--app', 'shop', '-n', 'default', '--kubeconfig', sandbox.kubeconfigPath];
    const json = await runCli([...args, '-o', 'json']);
    expect(json.code).toBe(0);
    const changes = (JSON.parse(json.stdout) as { changes: { subject: string; warnings?: string[] }[] })
      .changes;
    expect(changes.filter((c) => c.warnings)).toEqual([
      expect.objectContaining({ subject: 'Deployment/default/shop', warnings: [warning] }),
    ]);
    app.write('extra.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n');
    sandbox.faults.add({ verb: 'apply', path: '/configmaps/extra$', warning: 'second "quoted" note' });
    const human = await runCli(args);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('warning: ConfigMap/default/extra: second "quoted" note\n');
    sandbox.faults.clear();
  });
  it('warns of a workload that declares replicas while an autoscaler of the app scales it', async () => {
    const app = copyApp('shop');
    app.write(
      'hpa.yaml',
      'apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: shop\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: shop}\n  minReplicas: 2\n  maxReplicas: 5\n',
    );
    const args = ['sync', app.dir, '--app', 'shop', '-n', 'hpa-test', '--kubeconfig', sandbox.kubeconfigPath];
    await sandboxRequest(sandbox, 'POST', '/api/v1/namespaces', {
      body: JSON.stringify({ metadata: { name: 'hpa-test' } }),
    });
    const json = await runCli([...args, '-o', 'json']);
    expect(json.code).toBe(0);
    const changes = (JSON.parse(json.stdout) as { changes: { subject: string; warnings?: string[] }[] })
      .changes;
    expect(changes.filter((c) => c.warnings)).toEqual([
      expect.objectContaining({
        subject: 'Deployment/hpa-test/shop',
        warnings: [
          'spec.replicas is declared, but HorizontalPodAutoscaler shop scales this Deployment: every sync resets the count and every check reports drift; drop replicas from the manifest',
        ],
      }),
    ]);
    // Without replicas in the manifest the autoscaler owns the count: no warning.
    const deployment = readFileSync(join(app.dir, 'deployment.yaml'), 'utf8');
    app.write('deployment.yaml', deployment.replace(/\n\s*replicas: \d+/, ''));
    const human = await runCli(args);
    expect(human.stdout).not.toContain('warning:');
  });
});
