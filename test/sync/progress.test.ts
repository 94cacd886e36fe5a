import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../lib/cli/main';
import { type Sandbox, startSandbox } from '../../lib/local/sandbox';

describe('plumbline sync progress', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox();
  });
  afterAll(async () => {
    await sandbox.stop();
  });

  it('draws a live progress line on a terminal for more than 100 objects, and none with -o json', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'plumbline-progress-')), 'app');
    mkdirSync(dir);
    for (let i = 0; i < 101; i++)
      writeFileSync(
        join(dir, `cm-${i}.yaml`),
        `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\n`,
      );
    let err = '';
    const io = (isTTY: boolean) => ({
      out: () => undefined,
      err: (t: string) => {
        err += t;
      },
      interrupted: new Promise<void>(() => undefined),
      isTTY,
    });
    expect(
      await main(['sync', dir, '--app', 'progress', '--kubeconfig', sandbox.kubeconfigPath], io(true)),
    ).toBe(0);
    expect(err).toContain('\r  applied 101/101');
    err = '';
    expect(
      await main(
        ['sync', dir, '--app', 'progress', '--kubeconfig', sandbox.kubeconfigPath, '-o', 'json'],
        io(true),
      ),
    ).toBe(0);
    expect(err).toBe('');
  });
});
