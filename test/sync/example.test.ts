import { join } from 'node:path';
import { type Sandbox, startSandbox } from '../../lib/local/sandbox';
import { runCli } from '../helpers/cli';

/** The README's walk-through, run as written against the sandbox. */
describe('examples/hello', () => {
  let sandbox: Sandbox;
  const app = join(__dirname, '..', '..', 'examples', 'hello');
  beforeAll(async () => {
    sandbox = await startSandbox({ controllerDelayMs: 10 });
  });
  afterAll(async () => {
    await sandbox.stop();
  });

  it('renders, diffs, syncs with --wait, and then shows no drift', async () => {
    const k = ['--kubeconfig', sandbox.kubeconfigPath];
    expect((await runCli(['render', app])).code).toBe(0);
    expect((await runCli(['diff', app, '--app', 'hello', ...k])).code).toBe(1);
    const sync = await runCli(['sync', app, '--app', 'hello', ...k, '--wait', '--timeout', '30s']);
    expect(sync.stdout).toMatch(
      /app hello: 3 created, 0 configured, 0 unchanged, 0 deleted, 0 skipped, 0 failed in \d+ ms/,
    );
    expect(sync.code).toBe(0);
    expect(await runCli(['drift', app, '--app', 'hello', ...k])).toMatchObject({
      code: 0,
      stdout: 'app hello: 0 drifted, 0 orphan(s)\n',
    });
    expect(await runCli(['diff', app, '--app', 'hello', ...k])).toMatchObject({
      code: 0,
      stdout: 'app hello: no changes\n',
    });
  });
});
