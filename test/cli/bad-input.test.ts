import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { closestFlag, flagsOf } from '../../lib/cli/flag-errors';
import { runCli } from '../helpers/cli';
import { tempDir } from '../helpers/git';

/** Bad input exits 2 with one line, before any request (#19 "One CLI grammar"). */
describe('the CLI on bad input', () => {
  const dir = tempDir('bad-input');
  const app = join(dir, 'app');
  const kubeconfig = join(dir, 'kubeconfig');
  // Nothing listens on port 1: a command that tried to fetch would fail with another message and exit 1.
  const repo = 'https://127.0.0.1:1/config.git';
  beforeAll(() => {
    writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n');
    require('node:fs').mkdirSync(app);
    writeFileSync(join(app, 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n');
  });

  const expectOneLine = async (args: string[], line: string | RegExp) => {
    const run = await runCli(args);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.split('\n')).toHaveLength(2);
    if (typeof line === 'string') expect(run.stderr).toBe(`error: ${line}\n`);
    else expect(run.stderr).toMatch(line);
  };

  it('suggests the flag meant for an unknown one', async () => {
    await expectOneLine(
      ['sync', app, '--kubeconfg', kubeconfig],
      "unknown flag --kubeconfg for 'sync'; did you mean --kubeconfig? run 'plumbline sync --help' for its flags",
    );
    await expectOneLine(
      ['render', app, '--colour', 'red'],
      "unknown flag --colour for 'render'; run 'plumbline render --help' for its flags",
    );
    await expectOneLine(
      ['audit', 'query', '--tabel', 'T'],
      /^error: unknown flag --tabel for 'audit'; did you mean --table\?/,
    );
  });

  it('says which flag needs a value', async () => {
    await expectOneLine(['render', app, '--app'], '--app needs a value');
  });

  it('refuses a malformed or unreadable --verify-signatures before fetching', async () => {
    await expectOneLine(
      ['render', '--repo', repo, '--app', 'a', '--verify-signatures', 'pgp:x'],
      '"pgp:x" is not openpgp:KEYS.asc or ssh:ALLOWED_SIGNERS',
    );
    await expectOneLine(
      ['render', '--repo', repo, '--app', 'a', '--verify-signatures', `ssh:${join(dir, 'missing')}`],
      `cannot read ${join(dir, 'missing')}: ENOENT`,
    );
  });

  it('refuses a --repo that is not https', async () => {
    await expectOneLine(
      ['render', '--repo', 'file:///tmp/config', '--app', 'a'],
      '--repo must be an https:// (or http://) URL, not file:',
    );
  });

  it('refuses a kubeconfig with no current cluster', async () => {
    const run = await runCli(['sync', app, '--app', 'a', '--kubeconfig', kubeconfig]);
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')).toHaveLength(2);
  });
});

describe('closestFlag', () => {
  const flags = flagsOf('Usage: x [--kubeconfig F] [--context C] [--concurrency N] [--app A]');
  it.each([
    ['--kubeconfg', '--kubeconfig'],
    ['--kube', '--kubeconfig'],
    ['--contxt', '--context'],
    ['--ap', '--app'],
    ['--zzzzzz', undefined],
  ])('%s → %s', (flag, near) => {
    expect(closestFlag(flag, flags)).toBe(near);
  });
});
