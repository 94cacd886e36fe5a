import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { resolveLayerBinary } from '../lib/adapters/binaries';
import { HelmRenderer, KustomizeRenderer, runBinary } from '../lib/adapters/renderers';
import { DEFAULT_RENDER_LIMITS, type Renderer } from '../lib/core/render';

const RUNS = 9;
const PER_KIND = 50;
const KINDS = ['ConfigMap', 'Secret', 'Service', 'Deployment'] as const;

function resource(kind: (typeof KINDS)[number], i: number): Record<string, unknown> {
  const metadata = { name: `${kind.toLowerCase()}-${i}` };
  switch (kind) {
    case 'ConfigMap':
      return { apiVersion: 'v1', kind, metadata, data: { index: String(i), payload: 'x'.repeat(256) } };
    case 'Secret':
      return { apiVersion: 'v1', kind, metadata, type: 'Opaque', stringData: { token: `token-${i}` } };
    case 'Service':
      return {
        apiVersion: 'v1',
        kind,
        metadata,
        spec: { selector: { app: `app-${i}` }, ports: [{ port: 80 }] },
      };
    case 'Deployment':
      return {
        apiVersion: 'apps/v1',
        kind,
        metadata,
        spec: {
          selector: { matchLabels: { app: `app-${i}` } },
          template: {
            metadata: { labels: { app: `app-${i}` } },
            spec: { containers: [{ name: 'app', image: 'registry.example.com/app:1.0' }] },
          },
        },
      };
  }
}

/** A base of 200 resources, one file each, and an overlay with a prefix, labels, images and a patch on every Deployment. */
function writeOverlay(repo: string): void {
  const base = join(repo, 'base');
  mkdirSync(base, { recursive: true });
  const files: string[] = [];
  for (const kind of KINDS) {
    for (let i = 0; i < PER_KIND; i++) {
      const file = `${kind.toLowerCase()}-${i}.yaml`;
      writeFileSync(join(base, file), stringify(resource(kind, i)));
      files.push(file);
    }
  }
  writeFileSync(join(base, 'kustomization.yaml'), stringify({ resources: files }));
  const overlay = join(repo, 'overlay');
  mkdirSync(overlay);
  writeFileSync(
    join(overlay, 'replicas.yaml'),
    stringify({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'any' },
      spec: { replicas: 2 },
    }),
  );
  writeFileSync(
    join(overlay, 'kustomization.yaml'),
    stringify({
      resources: ['../base'],
      namePrefix: 'prod-',
      labels: [{ pairs: { env: 'prod' } }],
      images: [{ name: 'registry.example.com/app', newTag: '2.0' }],
      patches: [{ path: 'replicas.yaml', target: { kind: 'Deployment' } }],
    }),
  );
}

/** A chart whose one template ranges over `count`: 4 objects per step, 200 in all. */
function writeChart(repo: string): void {
  const chart = join(repo, 'chart');
  mkdirSync(join(chart, 'templates'), { recursive: true });
  writeFileSync(join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: bench\nversion: 0.1.0\n');
  writeFileSync(join(chart, 'values.yaml'), `count: ${PER_KIND}\nimage: registry.example.com/app:1.0\n`);
  const docs = KINDS.map((kind) =>
    stringify(resource(kind, 0))
      .replaceAll(`${kind.toLowerCase()}-0`, `${kind.toLowerCase()}-{{ $i }}`)
      .replaceAll('app-0', 'app-{{ $i }}')
      .replace('registry.example.com/app:1.0', '{{ $.Values.image }}'),
  );
  writeFileSync(
    join(chart, 'templates', 'apps.yaml'),
    `{{- range $i := until (int .Values.count) }}\n---\n${docs.join('---\n')}{{- end }}\n`,
  );
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

interface Timing {
  medianMs: number;
  minMs: number;
  maxMs: number;
}

function timing(times: number[]): Timing {
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    medianMs: round(median(times)),
    minMs: round(Math.min(...times)),
    maxMs: round(Math.max(...times)),
  };
}

/**
 * Runs each task RUNS times after a warm-up (page cache, binary extraction), interleaved so that
 * load from elsewhere on the machine weighs on all of them alike.
 */
async function timeRuns(...tasks: (() => Promise<unknown>)[]): Promise<Timing[]> {
  for (const task of tasks) await task();
  const times: number[][] = tasks.map(() => []);
  for (let i = 0; i < RUNS; i++) {
    for (const [j, task] of tasks.entries()) {
      const started = performance.now();
      await task();
      times[j]?.push(performance.now() - started);
    }
  }
  return times.map(timing);
}

/** The binary alone, as a user would run it, with inherited environment: the baseline for the lockdown's cost. */
function direct(binary: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${binary} ${args[0]}: ${stderr}`)),
    );
  });
}

/** Plumbline's render and the binary run directly, side by side. */
async function renderBench(renderer: Renderer, repo: string, app: string, binary: string, args: string[]) {
  const input = { repoRoot: repo, appPath: app, limits: DEFAULT_RENDER_LIMITS };
  const objects = (await renderer.render(input)).manifests.length;
  const [plumbline, alone] = await timeRuns(
    () => renderer.render(input),
    () => direct(binary, args),
  );
  const ms = plumbline as Timing;
  const directMs = (alone as Timing).medianMs;
  return { objects, ...ms, directMs, overheadMs: Math.round((ms.medianMs - directMs) * 10) / 10 };
}

/**
 * Rendering through the real binaries (#4): a 200-resource kustomize overlay and a 200-object
 * chart, each through Plumbline (checks, copy, private environment, parse) and the binary run
 * directly; and the spawn overhead of `kubectl version --client` and `helm version` via runBinary.
 */
export async function benchRender(): Promise<Record<string, unknown>> {
  const work = mkdtempSync(join(tmpdir(), 'plumbline-bench-render-'));
  try {
    const repo = join(work, 'repo');
    writeOverlay(repo);
    writeChart(repo);
    const kubectl = resolveLayerBinary('kubectl');
    const helm = resolveLayerBinary('helm');
    const kustomize = await renderBench(new KustomizeRenderer(), repo, 'overlay', kubectl, [
      'kustomize',
      join(repo, 'overlay'),
    ]);
    const chart = await renderBench(
      new HelmRenderer({ releaseName: 'bench', namespace: 'bench' }),
      repo,
      'chart',
      helm,
      ['template', 'bench', join(repo, 'chart'), '--namespace', 'bench', '--include-crds'],
    );
    const [kubectlVersion, helmVersion] = await timeRuns(
      () => runBinary({ renderer: 'kubectl', binary: kubectl, args: ['version', '--client'] }),
      () => runBinary({ renderer: 'helm', binary: helm, args: ['version'] }),
    );
    return {
      runs: RUNS,
      note: 'directMs: the binary run directly; overheadMs: checks, copy, private environment and parsing',
      kustomizeOverlay: { resources: KINDS.length * PER_KIND, ...kustomize },
      helmChart: chart,
      spawnOverhead: {
        kubectlVersionClientMs: kubectlVersion?.medianMs,
        helmVersionMs: helmVersion?.medianMs,
      },
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
