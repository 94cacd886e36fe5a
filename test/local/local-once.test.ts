import { connect } from 'node:net';
import { main } from '../../lib/cli/main';
import { runCli } from '../helpers/cli';

/** Whether something still listens at `url`'s host and port. */
function listening(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('plumbline local', () => {
  it('runs the scripted scenario end to end with --once and exits 0 when every step held', async () => {
    const { code, stdout, stderr } = await runCli(['local', '--once']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    for (const step of [
      'initial sync: 6/6 apps synced',
      'secret from the secret store: secret/hello-db has its password',
      'commit pushed',
      'signed webhook delivered: HTTP 202, push ',
      'forged delivery refused: HTTP 401',
      'webhook sync: hello@',
      'out-of-band edit',
      'schedule heals drift: scheduled sync synced, replicas back to 2',
      'removed manifest pruned: widgets synced, widget/large deleted',
      'stale delivery skipped: hello@',
      'foreign object refused: widgets@',
      'audit verify: 17 records, head seq 17, each MAC valid, checkpointed at seq 17',
    ])
      expect(stdout).toContain(`ok   ${step}`);
    expect(stdout).not.toContain('FAIL');
    // The pushes were delivered by the git server, as a git host delivers them, one line each.
    expect(
      stdout.match(/^push refs\/heads\/main \S+ \(1 commit\): signed webhook \S+ delivered, HTTP 202$/gm),
    ).toHaveLength(4);
    expect(stdout).toMatch(
      /^ok {3}signed webhook delivered: .* X-Hub-Signature-256 verified, 1 app\(s\) enqueued$/m,
    );
    expect(stdout).toMatch(/^git remote: +http:\/\/127\.0\.0\.1:\d+\/config\.git/m);
    expect(stdout).toMatch(/^webhook: +POST http:\/\/127\.0\.0\.1:\d+\/webhooks\/github$/m);
    expect(stdout).toMatch(/^SEQ +TIME +APP +COMMIT +TRIGGER +OUTCOME +CHANGES$/m);
    // The example's remote chart, from the chart repository the session serves, at its locked digest.
    expect(stdout).toMatch(/^\d+ .* greeting .* schedule +succeeded +1 created$/m);
    expect(stdout).toMatch(/^14 .* widgets .* webhook +succeeded +1 deleted$/m);
    expect(stdout).toMatch(/^16 .* hello .* webhook +stale +no changes$/m);
    expect(stdout).toMatch(/^17 .* widgets .* webhook +failed \(permanent\) +1 failed, 1 skipped$/m);
    expect(stdout).toMatch(
      /^ok {3}foreign object refused: .*configmap\/hello-config owned by app hello; .*still app hello's/m,
    );
    expect(stdout).toMatch(/^scenario passed in [\d.]+s$/m);
    // Everything it started is stopped before it returns.
    const endpoint = /at (http:\/\/127\.0\.0\.1:\d+) \(cluster local\)/.exec(stdout)?.[1];
    const webhook = /POST (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
    expect(await listening(endpoint!)).toBe(false);
    expect(await listening(webhook!)).toBe(false);
    // The issue's budget for the whole scenario.
    expect(Number(/^scenario passed in ([\d.]+)s$/m.exec(stdout)?.[1])).toBeLessThanOrEqual(30);
  }, 120_000);

  it('syncs every app on start, then stops every part when interrupted', async () => {
    let out = '';
    let interrupt: () => void = () => undefined;
    const interrupted = new Promise<void>((resolve) => {
      interrupt = resolve;
    });
    const done = main(['local', '--interval', '600'], {
      out: (t) => {
        out += t;
        if (t.startsWith('sync local/widgets@')) interrupt();
      },
      err: () => undefined,
      interrupted,
    });
    expect(await done).toBe(0);
    expect(out).toMatch(
      /^sync local\/hello@[0-9a-f]{12} schedule: synced \(succeeded\); 4 created; [\d.]+s; audit seq 1$/m,
    );
    expect(out).toContain('stopping…');
    const endpoint = /at (http:\/\/127\.0\.0\.1:\d+) \(cluster local\)/.exec(out)?.[1];
    const remote = /^git remote: +(http:\/\/127\.0\.0\.1:\d+)/m.exec(out)?.[1];
    expect(await listening(endpoint!)).toBe(false);
    expect(await listening(remote!)).toBe(false);
  }, 120_000);

  it('refuses a bad --interval with exit 2', async () => {
    const { code, stderr } = await runCli(['local', '--interval', 'soon']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--interval must be a number of seconds/);
  });
});
