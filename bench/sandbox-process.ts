import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import type { SandboxStats } from '../lib/local/sandbox';

/**
 * This process's peak resident set size in KiB. Linux carries getrusage's maxRSS across fork and
 * exec, so a child of a large bench process would report the parent's size; VmHWM is its own.
 */
export function peakRssKb(): number {
  try {
    const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (hwm) return Number(hwm[1]);
  } catch {
    // Not Linux: getrusage is the best there is.
  }
  return process.resourceUsage().maxRSS;
}

export const CLI = join(__dirname, '..', 'bin', 'plumbline.cjs');

export interface SandboxProcess {
  readonly child: ChildProcess;
  readonly kubeconfig: string;
  readonly kubeconfigPath: string;
  call(method: string, path: string, body?: string, contentType?: string): Promise<string>;
  stats(): Promise<SandboxStats>;
  resetStats(): Promise<void>;
  stop(): void;
}

/** Starts `plumbline sandbox` as its own process, as users run it. */
export async function startSandboxProcess(extraArgs: readonly string[] = []): Promise<SandboxProcess> {
  const kubeconfigPath = join(mkdtempSync(join(tmpdir(), 'plumbline-bench-')), 'kubeconfig');
  const child = spawn(
    process.execPath,
    [CLI, 'sandbox', '-o', 'json', '--kubeconfig', kubeconfigPath, ...extraArgs],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`plumbline sandbox exited ${code} before it started`)));
  });
  const text = readFileSync(kubeconfigPath, 'utf8');
  const kc = new k8s.KubeConfig();
  kc.loadFromString(text);
  const cluster = kc.getCurrentCluster()!;
  const call = async (
    method: string,
    path: string,
    body?: string,
    contentType = 'application/json',
  ): Promise<string> => {
    const opts: { ca?: Buffer; headers?: Record<string, string> } = {};
    await kc.applyToHTTPSOptions(opts as never);
    const headers = {
      ...(opts.headers ?? {}),
      ...(body !== undefined ? { 'Content-Type': contentType } : {}),
    };
    return new Promise((resolve, reject) => {
      const req = request(new URL(path, cluster.server), { method, ca: opts.ca, headers }, (res) => {
        let data = '';
        res.on('data', (d: Buffer) => {
          data += d.toString();
        });
        res.on('end', () => resolve(data));
      });
      req.on('error', reject);
      req.end(body);
    });
  };
  return {
    child,
    kubeconfig: text,
    kubeconfigPath,
    call,
    stats: async () => JSON.parse(await call('GET', '/sandbox/v1/stats')) as SandboxStats,
    resetStats: async () => {
      await call('POST', '/sandbox/v1/stats/reset');
    },
    stop: () => {
      child.kill('SIGTERM');
    },
  };
}
