import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { resolveLayerBinary } from '../lib/adapters/binaries';
import { CLI, type SandboxProcess, startSandboxProcess } from './sandbox-process';

const NAMESPACES = 10;
const PER_KIND_PER_NAMESPACE = 25;
const KINDS = ['ConfigMap', 'Secret', 'Service', 'Deployment'] as const;

function manifest(kind: (typeof KINDS)[number], namespace: string, i: number): Record<string, unknown> {
  const metadata = { name: `${kind.toLowerCase()}-${i}`, namespace, labels: { tier: 'bench' } };
  switch (kind) {
    case 'ConfigMap':
      return { apiVersion: 'v1', kind, metadata, data: { index: String(i), payload: 'x'.repeat(256) } };
    case 'Secret':
      return {
        apiVersion: 'v1',
        kind,
        metadata,
        type: 'Opaque',
        stringData: { token: `token-${namespace}-${i}` },
      };
    case 'Service':
      return {
        apiVersion: 'v1',
        kind,
        metadata,
        spec: { selector: { app: `app-${i}` }, ports: [{ port: 80, targetPort: 8080 }] },
      };
    case 'Deployment':
      return {
        apiVersion: 'apps/v1',
        kind,
        metadata,
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: `app-${i}` } },
          template: {
            metadata: { labels: { app: `app-${i}` } },
            spec: {
              containers: [
                { name: 'app', image: `registry.example.com/app:${i}`, ports: [{ containerPort: 8080 }] },
              ],
            },
          },
        },
      };
  }
}

/** 1,000 objects (4 kinds x 25 x 10 namespaces), one file each, in namespaces `${prefix}-0..9`. */
function writeApp(root: string, prefix: string): string[] {
  const files: string[] = [];
  mkdirSync(root, { recursive: true });
  for (let n = 0; n < NAMESPACES; n++) {
    for (const kind of KINDS) {
      for (let i = 0; i < PER_KIND_PER_NAMESPACE; i++) {
        const file = join(root, `${prefix}-${n}-${kind.toLowerCase()}-${i}.yaml`);
        writeFileSync(file, stringify(manifest(kind, `${prefix}-${n}`, i)));
        files.push(file);
      }
    }
  }
  return files;
}

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
  readonly maxRssMb?: number;
}

function run(command: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const rss = /plumbline-max-rss-kb=(\d+)/.exec(stderr);
      resolve({
        code: code ?? -1,
        stdout,
        stderr,
        ms: Math.round(performance.now() - started),
        ...(rss ? { maxRssMb: Math.round(Number(rss[1]) / 1024) } : {}),
      });
    });
  });
}

async function createNamespaces(sandbox: SandboxProcess, prefix: string): Promise<void> {
  for (let n = 0; n < NAMESPACES; n++) {
    await sandbox.call(
      'POST',
      '/api/v1/namespaces',
      JSON.stringify({ metadata: { name: `${prefix}-${n}` } }),
    );
  }
}

/** `plumbline sync|drift` of the bench app against the sandbox, `-o json`; peak RSS reported. */
function runPlumbline(
  sandbox: SandboxProcess,
  command: 'sync' | 'drift',
  appDir: string,
  ...extra: string[]
): Promise<Run> {
  const args = [
    '--app',
    'bench',
    '--namespace',
    'pl-0',
    '--kubeconfig',
    sandbox.kubeconfigPath,
    '-o',
    'json',
  ];
  return run(process.execPath, [CLI, command, appDir, ...args, ...extra], { PLUMBLINE_REPORT_RSS: '1' });
}

/** `kubectl apply --server-side -f DIR` with the layer's kubectl and its own HOME. */
async function kubectlApply(sandbox: SandboxProcess, dir: string, home: string): Promise<Run> {
  mkdirSync(home, { recursive: true });
  const applied = await run(
    resolveLayerBinary('kubectl'),
    ['--kubeconfig', sandbox.kubeconfigPath, 'apply', '--server-side', '-f', dir],
    { HOME: home },
  );
  if (applied.code !== 0) throw new Error(`kubectl apply failed: ${applied.stderr.slice(0, 500)}`);
  return applied;
}

interface ColdSyncs {
  readonly plumbline: Run;
  readonly kubectl: Run;
  /** CPU the sandbox process spent serving each (it is single-threaded: a floor under the wall time). */
  readonly sandboxCpuMs: { readonly plumbline: number; readonly kubectl: number };
}

/** A cold sync by Plumbline, then kubectl's apply of the same objects (in other namespaces). */
async function coldSyncs(sandbox: SandboxProcess, work: string): Promise<ColdSyncs> {
  await sandbox.resetStats();
  const plumbline = await runPlumbline(sandbox, 'sync', join(work, 'repo', 'app'));
  if (plumbline.code !== 0)
    throw new Error(`cold sync failed: ${plumbline.stderr || plumbline.stdout.slice(0, 500)}`);
  const servingPlumbline = (await sandbox.stats()).processCpuMs;
  await sandbox.resetStats();
  const kubectl = await kubectlApply(sandbox, join(work, 'kubectl'), join(work, 'kubectl-home'));
  const servingKubectl = (await sandbox.stats()).processCpuMs;
  return { plumbline, kubectl, sandboxCpuMs: { plumbline: servingPlumbline, kubectl: servingKubectl } };
}

function writes(byVerb: Record<string, number>): number {
  return ['apply', 'create', 'update', 'patch', 'delete'].reduce((sum, verb) => sum + (byVerb[verb] ?? 0), 0);
}

const LATENCY_MS = 5;

/** Cold apply of the same 1,000 objects by Plumbline and by kubectl, against a fresh sandbox. */
async function coldApply(
  work: string,
  sandboxArgs: readonly string[],
): Promise<{ plumblineMs: number; kubectlServerSideMs: number; speedup: number }> {
  const sandbox = await startSandboxProcess(sandboxArgs);
  try {
    await createNamespaces(sandbox, 'pl');
    await createNamespaces(sandbox, 'kb');
    const { plumbline, kubectl } = await coldSyncs(sandbox, work);
    return {
      plumblineMs: plumbline.ms,
      kubectlServerSideMs: kubectl.ms,
      speedup: Number((kubectl.ms / plumbline.ms).toFixed(2)),
    };
  } finally {
    sandbox.stop();
  }
}

/**
 * The sync engine against the sandbox (#3): cold apply of 1,000 objects versus
 * `kubectl apply --server-side`, a no-op re-sync, a drift check, a prune of 500, peak RSS.
 */
export async function benchSync(): Promise<Record<string, unknown>> {
  const sandbox = await startSandboxProcess();
  const work = mkdtempSync(join(tmpdir(), 'plumbline-bench-sync-'));
  try {
    const appDir = join(work, 'repo', 'app');
    const kubectlDir = join(work, 'kubectl');
    const appFiles = writeApp(appDir, 'pl');
    writeApp(kubectlDir, 'kb');
    await createNamespaces(sandbox, 'pl');
    await createNamespaces(sandbox, 'kb');
    const sync = (...extra: string[]) => runPlumbline(sandbox, 'sync', appDir, ...extra);
    const { plumbline: cold, kubectl: kubectlCold, sandboxCpuMs } = await coldSyncs(sandbox, work);

    // The floor under any cold apply by a Node CLI: start Node, load the CLI, read and parse the
    // 1,000 files — no request at all — and the CPU the single-threaded sandbox itself spends on the
    // same requests. A 5x target is out of reach when kubectl / 5 is below them.
    const nodeStart = await run(process.execPath, ['-e', '0']);
    const renderOnly = await run(process.execPath, [CLI, 'render', appDir, '-o', 'json']);
    if (renderOnly.code !== 0) throw new Error(`render failed: ${renderOnly.stderr.slice(0, 500)}`);

    await sandbox.resetStats();
    const noop = await sync();
    const noopStats = await sandbox.stats();
    const noopCounts = (JSON.parse(noop.stdout) as { counts: Record<string, number> }).counts;

    // Three objects changed out of band, then a detect-only drift check.
    for (const path of [
      '/api/v1/namespaces/pl-3/configmaps/configmap-7',
      '/apis/apps/v1/namespaces/pl-5/deployments/deployment-2',
      '/api/v1/namespaces/pl-9/services/service-11',
    ]) {
      const body = path.includes('configmaps')
        ? { data: { index: 'edited' } }
        : path.includes('deployments')
          ? { spec: { replicas: 4 } }
          : { spec: { selector: { app: 'other' } } };
      await sandbox.call(
        'PATCH',
        `${path}?fieldManager=kubectl-edit`,
        JSON.stringify(body),
        'application/merge-patch+json',
      );
    }
    await sandbox.resetStats();
    const drift = await runPlumbline(sandbox, 'drift', appDir);
    const driftStats = await sandbox.stats();
    const driftReport = JSON.parse(drift.stdout) as { drifted: { subject: string }[] };

    // Half the objects leave the directory; prune deletes exactly those.
    for (const file of appFiles.slice(0, 500)) rmSync(file);
    await sandbox.resetStats();
    const prune = await sync('--prune');
    const pruneStats = await sandbox.stats();
    const pruneCounts = (JSON.parse(prune.stdout) as { counts: Record<string, number> }).counts;

    const bound = KINDS.length * NAMESPACES + 5;
    // kubectl applies one object per round trip and Plumbline 16 at a time, so the gap depends on
    // the API server's latency: measured again with 5 ms added to every request, as a remote one has.
    rmSync(join(work, 'kubectl-home'), { recursive: true, force: true });
    writeApp(appDir, 'pl');
    const withLatency = await coldApply(work, ['--latency-ms', String(LATENCY_MS)]);
    return {
      objects: appFiles.length,
      coldApply: {
        plumblineMs: cold.ms,
        kubectlServerSideMs: kubectlCold.ms,
        speedup: Number((kubectlCold.ms / cold.ms).toFixed(2)),
        target: 'plumbline >= 5x faster',
        meetsTarget: kubectlCold.ms / cold.ms >= 5,
        floor: {
          nodeStartMs: nodeStart.ms,
          renderOnlyMs: renderOnly.ms,
          sandboxCpuMsServingPlumbline: sandboxCpuMs.plumbline,
          sandboxCpuMsServingKubectl: sandboxCpuMs.kubectl,
          kubectlDividedBy5Ms: Math.round(kubectlCold.ms / 5),
          kubectlMsPerObject: Number((kubectlCold.ms / appFiles.length).toFixed(2)),
        },
      },
      coldApplyWithLatency: {
        latencyMsPerRequest: LATENCY_MS,
        ...withLatency,
        meetsTarget: withLatency.speedup >= 5,
      },
      noopResync: {
        ms: noop.ms,
        requests: noopStats.total,
        writes: writes(noopStats.byVerb),
        bound,
        counts: noopCounts,
        meetsTarget: noopStats.total <= bound && writes(noopStats.byVerb) === 0 && noop.ms < 1000,
      },
      drift: {
        ms: drift.ms,
        requests: driftStats.total,
        reported: driftReport.drifted.map((d) => d.subject),
        bound,
        meetsTarget: driftStats.total <= bound && driftReport.drifted.length === 3,
      },
      prune: {
        ms: prune.ms,
        deleted: pruneCounts.deleted,
        deleteRequests: pruneStats.byVerb.delete ?? 0,
        meetsTarget: pruneCounts.deleted === 500 && (pruneStats.byVerb.delete ?? 0) === 500,
      },
      peakRssMb: {
        coldSync: cold.maxRssMb,
        noopResync: noop.maxRssMb,
        prune: prune.maxRssMb,
        target: 256,
        meetsTarget: (cold.maxRssMb ?? Infinity) <= 256,
      },
    };
  } finally {
    sandbox.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
