import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../free-port';

/** Where Debian's `docker-registry` package (CNCF Distribution) puts the registry. */
export const DOCKER_REGISTRY_BINARY = '/usr/bin/docker-registry';

export interface LocalRegistry {
  /** `127.0.0.1:PORT` */
  readonly host: string;
  readonly port: number;
  stop(): Promise<void>;
}

export function registryAvailable(binary = DOCKER_REGISTRY_BINARY): boolean {
  return existsSync(binary);
}

/**
 * Starts the CNCF Distribution registry (`docker-registry serve CONFIG`) on a free 127.0.0.1 port,
 * with storage in a temporary directory, no auth, and waits until `/v2/` answers.
 */
export async function startDockerRegistry(binary = DOCKER_REGISTRY_BINARY): Promise<LocalRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'plumbline-registry-'));
  const port = await freePort();
  const config = join(dir, 'config.yml');
  await writeFile(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: error',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(dir, 'data')}`,
      'http:',
      `  addr: 127.0.0.1:${port}`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(binary, ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < 8192) stderr += chunk.toString('utf8');
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`docker-registry exited with ${child.exitCode}: ${stderr.trim().slice(0, 500)}`);
    }
    const ok = await fetch(`http://127.0.0.1:${port}/v2/`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`docker-registry did not answer on 127.0.0.1:${port} within 15 s`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { host: `127.0.0.1:${port}`, port, stop };
}
