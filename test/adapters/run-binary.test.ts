import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { runBinary, STDERR_SUMMARY_CHARS, summarizeStderr } from '../../lib/adapters/renderers';
import { Redactor } from '../../lib/core/redact';
import { renderError, type TempRepo, tempRepo } from './render-helpers';

/** Whether a process runs: a zombie (killed, not yet reaped by an init that may never reap it) does not. */
async function alive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX]/s.test(stat);
  } catch {
    return false;
  }
}

describe('runBinary', () => {
  let t: TempRepo;
  beforeEach(async () => {
    t = await tempRepo();
  });
  afterEach(() => t.remove());

  const script = (name: string, body: string) => t.write(name, `#!/bin/sh\n${body}\n`, 0o755);

  it('gives the child only the scrubbed environment, nothing from process.env', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_SECRET_ACCESS_KEY: 'leak-me',
      AWS_SESSION_TOKEN: 'leak-me-too',
      GITHUB_TOKEN: 'ghp_leak',
      HTTPS_PROXY: 'http://proxy.example:3128',
      KUBECONFIG: '/root/.kube/config',
    });
    try {
      const { stdout } = await runBinary({ renderer: 'env', binary: '/usr/bin/env', args: [] });
      const env: Record<string, string> = Object.fromEntries(
        stdout
          .trim()
          .split('\n')
          .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
      );
      expect(Object.keys(env).sort()).toEqual(
        [
          'HELM_CACHE_HOME',
          'HELM_CONFIG_HOME',
          'HELM_DATA_HOME',
          'HELM_PLUGINS',
          'HOME',
          'KUBECONFIG',
          'PATH',
          'TMPDIR',
          'XDG_CACHE_HOME',
          'XDG_CONFIG_HOME',
          'XDG_DATA_HOME',
        ].sort(),
      );
      expect(env.PATH).toBe('/usr/bin:/bin');
      expect(env.KUBECONFIG).toBe('/dev/null');
      const root = String(env.HOME).replace(/\/home$/, '');
      expect(root).toMatch(/plumbline-run-/);
      for (const [key, value] of Object.entries(env)) {
        if (!['PATH', 'KUBECONFIG'].includes(key)) expect(value.startsWith(`${root}/`)).toBe(true);
      }
      expect(stdout).not.toContain('leak');
      await expect(stat(root)).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      process.env = saved;
    }
  });

  it('gives an empty, private HELM_PLUGINS directory', async () => {
    const ls = await script('ls.sh', 'ls -A "$HELM_PLUGINS"; stat -c %a "$HOME"');
    const { stdout } = await runBinary({ renderer: 'ls', binary: ls, args: [] });
    expect(stdout).toBe('700\n');
  });

  it('passes arguments as they are, never through a shell', async () => {
    const args = ['$(touch pwned)', '; rm -rf /', '*', '`id`', '--flag'];
    const { stdout } = await runBinary({ renderer: 'echo', binary: '/bin/echo', args, cwd: t.tmp });
    expect(stdout).toBe(`${args.join(' ')}\n`);
    expect(await readdir(t.tmp)).not.toContain('pwned');
  });

  it('kills a process that never ends, and its whole process group, at the time limit', async () => {
    const pidFile = join(t.tmp, 'pid');
    const sleeper = await script('sleep.sh', `sleep 60 &\necho $! > ${pidFile}\nwait`);
    const started = Date.now();
    const error = await renderError(
      runBinary({ renderer: 'fake', subject: 'apps/web', binary: sleeper, args: [], timeoutMs: 300 }),
    );
    expect(error.message).toBe('fake for apps/web: did not finish within 300 ms (time limit), killed');
    expect(Date.now() - started).toBeLessThan(5000);
    const pid = Number((await readFile(pidFile, 'utf8')).trim());
    await new Promise((r) => setTimeout(r, 100));
    expect(await alive(pid)).toBe(false);
  });

  it('kills a process that writes more than the output cap', async () => {
    const chatty = await script('yes.sh', 'exec yes plumbline');
    const error = await renderError(
      runBinary({ renderer: 'fake', binary: chatty, args: [], maxOutputBytes: 65_536 }),
    );
    expect(error.message).toBe('fake: wrote more than 65536 bytes (output limit), killed');
  });

  it('reports a failure with its stderr on one line, redacted, paths replaced, truncated', async () => {
    const failing = await script(
      'fail.sh',
      `echo "Error: loading /tmp/xyz/copy/apps/web/kustomization.yaml" >&2\necho "password hunter2-secret rejected" >&2\nhead -c 5000 /dev/zero | tr '\\0' x >&2\nexit 3`,
    );
    const redactor = new Redactor();
    redactor.register('hunter2-secret');
    const error = await renderError(
      runBinary({
        renderer: 'fake',
        subject: 'apps/web',
        binary: failing,
        args: [],
        redactor,
        replace: [['/tmp/xyz/copy/', '']],
      }),
    );
    expect(error.message).toMatch(
      /^fake for apps\/web: failed with exit code 3: Error: loading apps\/web\/kustomization\.yaml password \*\*\* rejected x+…$/,
    );
    expect(error.message).not.toContain('hunter2');
    expect(error.message.length).toBeLessThan(STDERR_SUMMARY_CHARS + 100);
  });

  it('reports a process killed by a signal', async () => {
    const suicidal = await script('kill.sh', 'echo dying >&2\nkill -9 $$');
    const error = await renderError(runBinary({ renderer: 'fake', binary: suicidal, args: [] }));
    expect(error.message).toBe('fake: killed by SIGKILL: dying');
  });

  it('reports a binary that does not exist', async () => {
    const error = await renderError(
      runBinary({ renderer: 'fake', binary: join(t.tmp, 'missing'), args: [] }),
    );
    expect(error.message).toMatch(/^fake: cannot run .*missing: ENOENT$/);
  });

  it('refuses output that is not UTF-8', async () => {
    const binary = await script('bin.sh', "printf '\\377\\376'");
    const error = await renderError(runBinary({ renderer: 'fake', binary, args: [] }));
    expect(error.message).toBe('fake: output is not valid UTF-8 text');
  });
});

describe('summarizeStderr', () => {
  it('masks what kustomize quotes of a manifest: an alias name, a generator literal', () => {
    expect(summarizeStderr("Error: yaml: unknown anchor 'Xq7pL9zzK2' referenced")).toBe(
      "Error: yaml: unknown anchor '***' referenced",
    );
    expect(summarizeStderr('Error: invalid literal source Xq7pL9zzNoEquals, expected key=value')).toBe(
      'Error: invalid literal source *** expected key=value',
    );
  });

  it('redacts before truncating, so a secret across the cut is still masked', () => {
    const redactor = new Redactor();
    const secret = 'abcdefghijklmnop';
    redactor.register(secret);
    const summary = summarizeStderr(`${'x'.repeat(STDERR_SUMMARY_CHARS - 4)}${secret}`, redactor);
    expect(summary).not.toContain('abcd');
    expect(summary.endsWith('***')).toBe(true);
  });

  it('removes terminal colour codes and collapses lines', () => {
    expect(summarizeStderr('\u001b[31mError:\u001b[0m bad\n\n  thing\n')).toBe('Error: bad thing');
  });
});
