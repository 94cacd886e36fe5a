import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from './git';
import { type Finished, finished } from './process';

export const ROOT = join(__dirname, '..', '..');
const exec = promisify(execFile);

/**
 * The CLI as `npm run build` ships it: scripts/build.mjs bundles into a fresh directory laid out
 * like the package (bin/plumbline.cjs beside dist/), so the test runs the build of this checkout
 * without rewriting the dist/ that other suites run at the same time. Returns bin/plumbline.cjs.
 */
export async function buildShippedCli(): Promise<string> {
  const dir = tempDir('shipped-cli');
  await exec(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), join(dir, 'dist')], {
    cwd: ROOT,
    timeout: 120_000,
  });
  mkdirSync(join(dir, 'bin'));
  copyFileSync(join(ROOT, 'bin', 'plumbline.cjs'), join(dir, 'bin', 'plumbline.cjs'));
  // The kubectl/helm layer package and the optional ws add-ons are looked up beside the package.
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return join(dir, 'bin', 'plumbline.cjs');
}

/** Runs a built script asynchronously (the test's own servers must keep answering it). */
export function runNode(
  node: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {},
): Promise<Finished> {
  const child: ChildProcess = spawn(node, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin?.end(options.input);
  return finished(child);
}
