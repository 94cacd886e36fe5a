import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/** An environment that no user or system git configuration leaks into, with a fixed identity. */
function gitEnv(home: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_AUTHOR_NAME: 'Plumbline Local',
    GIT_AUTHOR_EMAIL: 'local@plumbline.invalid',
    GIT_COMMITTER_NAME: 'Plumbline Local',
    GIT_COMMITTER_EMAIL: 'local@plumbline.invalid',
  };
}

/** Asynchronous on purpose: the git server runs in this process and must keep answering. */
export function git(cwd: string, home: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { cwd, env: gitEnv(home), maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`git ${args[0]} failed: ${stderr.trim() || err.message}`, { cause: err }));
      else resolve(stdout);
    });
  });
}

/** A working clone of the local remote: what a user would push from. */
export interface WorkRepo {
  readonly dir: string;
  /** Commits every change in the working tree and pushes it; returns the commit before and after. */
  commitAndPush(message: string): Promise<{ before: string; after: string }>;
  head(): Promise<string>;
}

/**
 * Files of the example that are not configuration: secrets stay out of Git, and so do the linter's
 * config and the chart repository that the session serves (the charts live outside Git).
 */
const NOT_IN_GIT = ['secrets.json', 'biome.json', 'chart-repository'];

/** plumbline.yaml and every plumbline.lock under `dir`, with each `from` replaced by its `to`. */
function rewrite(dir: string, replacements: Readonly<Record<string, string>>): void {
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter(
    (f) => f === 'plumbline.yaml' || basename(f) === 'plumbline.lock',
  );
  for (const file of files) {
    let text = readFileSync(join(dir, file), 'utf8');
    for (const [from, to] of Object.entries(replacements)) text = text.split(from).join(to);
    writeFileSync(join(dir, file), text);
  }
}

/**
 * Creates the bare repository `<root>/config.git` (branch main, pushes enabled), and seeds it with
 * the files of `exampleDir` through a working clone in `workDir`, with the real git CLI.
 */
export async function seedRepository(
  exampleDir: string,
  root: string,
  workDir: string,
  remoteUrl: string,
  /** Addresses known only once the session runs (the local chart repository's port). */
  replacements: Readonly<Record<string, string>> = {},
): Promise<WorkRepo> {
  const home = join(workDir, '.home');
  mkdirSync(home, { recursive: true });
  const bare = join(root, 'config.git');
  await git(root, home, ['init', '--quiet', '--bare', '--initial-branch=main', bare]);
  await git(bare, home, ['config', 'http.receivepack', 'true']);
  const dir = join(workDir, 'config');
  await git(workDir, home, ['init', '--quiet', '--initial-branch=main', dir]);
  cpSync(exampleDir, dir, { recursive: true });
  for (const name of NOT_IN_GIT) rmSync(join(dir, name), { recursive: true, force: true });
  rewrite(dir, replacements);
  await git(dir, home, ['remote', 'add', 'origin', remoteUrl]);
  const head = () => git(dir, home, ['rev-parse', 'HEAD']).then((s) => s.trim());
  const commitAndPushTo = async (remote: string, message: string) => {
    const before = await head().catch(() => '0'.repeat(40));
    await git(dir, home, ['add', '--all']);
    await git(dir, home, ['commit', '--quiet', '-m', message]);
    await git(dir, home, ['push', '--quiet', remote, 'HEAD:refs/heads/main']);
    return { before, after: await head() };
  };
  // The seed goes straight into the bare repository, not through the server: it is the repository's
  // creation, not a push, so it sends no webhook (the first scheduled run syncs every app).
  await commitAndPushTo(bare, 'Seed from examples/config-repo');
  return { dir, head, commitAndPush: (message) => commitAndPushTo('origin', message) };
}
