import { type Sandbox, startSandbox } from '../../lib/local/sandbox';
import { copyApp } from '../helpers/app-dir';
import { runCli } from '../helpers/cli';

/**
 * Plumbline applies with fieldValidation=Strict, as kubectl does by default: a field the schema
 * does not declare (a typo) fails its object, where the server's default would drop it silently
 * and the declared field would show as drift on every check.
 */
describe('fields the schema does not declare', () => {
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
});
