import type { CliIo } from '../../lib/cli/io';
import { main } from '../../lib/cli/main';

function captureIo(
  interrupted: Promise<void> = new Promise(() => undefined),
): CliIo & { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  return {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    interrupted,
    stdout: () => out,
    stderr: () => err,
  };
}

describe('plumbline CLI', () => {
  it('prints help with every command and exits 0', async () => {
    const io = captureIo();
    expect(await main(['--help'], io)).toBe(0);
    for (const command of ['sandbox', 'local', 'render', 'diff', 'sync', 'drift', 'audit'])
      expect(io.stdout()).toContain(command);
  });

  it('exits 2 with a one-line error for an unknown command', async () => {
    const io = captureIo();
    expect(await main(['frobnicate'], io)).toBe(2);
    expect(io.stderr()).toBe("error: unknown command 'frobnicate'; run 'plumbline --help'\n");
  });

  it('documents the local pipeline command', async () => {
    const io = captureIo();
    expect(await main(['local', '--help'], io)).toBe(0);
    expect(io.stdout()).toContain('--once');
  });

  it('exits 2 on a bad sandbox option', async () => {
    const io = captureIo();
    expect(await main(['sandbox', '--port', 'abc'], io)).toBe(2);
    expect(io.stderr()).toBe('error: --port must be a port number, got "abc"\n');
    expect(await main(['sandbox', '--bogus'], io)).toBe(2);
  });

  it('runs the sandbox until interrupted and prints its URL and kubeconfig as JSON', async () => {
    let interrupt: () => void = () => undefined;
    const io = captureIo(new Promise((resolve) => (interrupt = resolve)));
    const running = main(['sandbox', '-o', 'json'], io);
    while (!io.stdout().includes('\n')) await new Promise((r) => setTimeout(r, 10));
    const printed = JSON.parse(io.stdout()) as { url: string; kubeconfig: string };
    expect(printed.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    interrupt();
    expect(await running).toBe(0);
  });
});
