import { createHmac, randomUUID } from 'node:crypto';
import { stringify } from 'yaml';
import { planFanOut } from '../lib/core/fanout';
import { parseRepoConfig } from '../lib/core/repo-config';
import {
  createWebhookVerifier,
  InMemoryDedupe,
  receiveWebhook,
  type WebhookRequest,
} from '../lib/core/webhooks';

const APPS = 1500;
const DELIVERIES = 2000;
const WARMUP = 200;
const SECRET = 'bench-webhook-secret';
const TARGET_P99_MS = 100;

/** Deterministic pseudo-random numbers (mulberry32), so every run measures the same deliveries. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 1,500 apps over 8 clusters: kustomize apps sharing 60 bases, every fifth a helm chart with a value file. */
function repoConfigText(): string {
  const apps = Array.from({ length: APPS }, (_, i) => {
    const app: Record<string, unknown> = {
      name: `app-${i}`,
      path: `teams/t${i % 40}/app-${i}`,
      cluster: `cluster-${i % 8}`,
      namespace: `team-${i % 40}`,
      dependsOn: [`bases/b${i % 60}`],
    };
    if (i % 5 === 0) Object.assign(app, { renderer: 'helm', helm: { valueFiles: [`values/app-${i}.yaml`] } });
    return app;
  });
  return stringify({ version: 1, apps });
}

const hex = (rnd: () => number): string =>
  Array.from({ length: 40 }, () => Math.floor(rnd() * 16).toString(16)).join('');

/** A changed path: mostly inside an app, sometimes a shared base or value file, sometimes unrelated. */
function changedPath(rnd: () => number): string {
  const roll = rnd();
  const app = Math.floor(rnd() * APPS);
  if (roll < 0.8) return `teams/t${app % 40}/app-${app}/overlays/prod/file-${Math.floor(rnd() * 50)}.yaml`;
  if (roll < 0.88) return `bases/b${Math.floor(rnd() * 60)}/deployment.yaml`;
  if (roll < 0.93) return `values/app-${app - (app % 5)}.yaml`;
  return `docs/notes-${Math.floor(rnd() * 100)}.md`;
}

/** A GitHub push as GitHub shapes it: 1–20 paths over 1–5 commits. */
function githubDelivery(rnd: () => number): WebhookRequest {
  const paths = Array.from({ length: 1 + Math.floor(rnd() * 20) }, () => changedPath(rnd));
  const commitCount = Math.min(paths.length, 1 + Math.floor(rnd() * 5));
  const commits = Array.from({ length: commitCount }, (_, c) => ({
    id: hex(rnd),
    tree_id: hex(rnd),
    distinct: true,
    message: `change ${c}`,
    timestamp: '2024-05-29T18:03:01+02:00',
    author: { name: 'Mona Octocat', email: 'octocat@github.com', username: 'octocat' },
    committer: { name: 'GitHub', email: 'noreply@github.com', username: 'web-flow' },
    added: [] as string[],
    removed: [] as string[],
    modified: paths.filter((_, p) => p % commitCount === c),
  }));
  const payload = {
    ref: 'refs/heads/main',
    before: hex(rnd),
    after: commits[commits.length - 1]!.id,
    repository: {
      full_name: 'acme/platform-config',
      html_url: 'https://github.com/acme/platform-config',
      clone_url: 'https://github.com/acme/platform-config.git',
    },
    pusher: { name: 'octocat', email: 'octocat@github.com' },
    sender: { login: 'octocat', id: 583231 },
    created: false,
    deleted: false,
    forced: false,
    commits,
    head_commit: commits[commits.length - 1],
  };
  const body = Buffer.from(JSON.stringify(payload));
  return {
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
    },
    body,
  };
}

function percentiles(samples: number[]): Record<string, number> {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number =>
    sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
  const round = (ms: number): number => Math.round(ms * 1000) / 1000;
  const mean = sorted.reduce((sum, ms) => sum + ms, 0) / Math.max(1, sorted.length);
  return {
    p50: round(at(0.5)),
    p95: round(at(0.95)),
    p99: round(at(0.99)),
    max: round(at(1)),
    mean: round(mean),
  };
}

/**
 * Webhook handling for a plumbline.yaml of 1,500 apps: 2,000 signed GitHub push deliveries, each
 * touching 1–20 paths, timed from raw request to sync requests (verify + dedupe + fan-out); then
 * the same deliveries replayed (all duplicates). Target (issue #5): p99 ≤ 100 ms.
 */
export async function benchWebhooks(): Promise<Record<string, unknown>> {
  const rnd = random(5);
  const text = repoConfigText();
  let start = performance.now();
  const config = parseRepoConfig(text);
  const configParseMs = performance.now() - start;

  const verifier = createWebhookVerifier({ provider: 'github', secret: SECRET });
  const dedupe = new InMemoryDedupe({ maxEntries: 100_000 });
  const deliveries = Array.from({ length: WARMUP + DELIVERIES }, () => githubDelivery(rnd));

  const handle = async (request: WebhookRequest): Promise<number> => {
    const result = await receiveWebhook(request, { verifier, dedupe });
    if (result.status >= 400) throw new Error(`bench delivery refused: ${result.status}`);
    if (result.kind !== 'push') return 0;
    let requests = 0;
    for (const push of result.pushes)
      requests += (await planFanOut(push, config, { branch: 'main' })).requests.length;
    return requests;
  };

  const times: number[] = [];
  const counts: number[] = [];
  for (const [i, request] of deliveries.entries()) {
    start = performance.now();
    const requests = await handle(request);
    const ms = performance.now() - start;
    if (i >= WARMUP) {
      times.push(ms);
      counts.push(requests);
    } else if (i === 0) times.push(ms);
  }
  const firstDeliveryMs = times.shift() ?? 0;

  const replayTimes: number[] = [];
  for (const request of deliveries.slice(WARMUP)) {
    start = performance.now();
    const requests = await handle(request);
    replayTimes.push(performance.now() - start);
    if (requests !== 0) throw new Error('a replayed delivery was enqueued again');
  }

  // The widest fan-out: plumbline.yaml changed, every app synced.
  const configChange = verifier.verify(deliveries[0]!);
  if (configChange.kind !== 'push') throw new Error('expected a push');
  const push = { ...configChange.pushes[0]!, changedPaths: ['plumbline.yaml'] };
  start = performance.now();
  const all = await planFanOut(push, config, { branch: 'main' });
  const configChangeFanOutMs = performance.now() - start;

  const stats = percentiles(times);
  return {
    apps: APPS,
    deliveries: DELIVERIES,
    warmupDeliveries: WARMUP,
    pathsPerDelivery: '1-20',
    configBytes: Buffer.byteLength(text),
    configParseMs: Math.round(configParseMs * 10) / 10,
    firstDeliveryMs: Math.round(firstDeliveryMs * 1000) / 1000,
    verifyDedupeFanOutMs: stats,
    syncRequestsPerDelivery: {
      mean: Math.round((counts.reduce((s, n) => s + n, 0) / counts.length) * 10) / 10,
      max: Math.max(...counts),
    },
    replayedDuplicateMs: percentiles(replayTimes),
    configChangeFanOut: { requests: all.requests.length, ms: Math.round(configChangeFanOutMs * 1000) / 1000 },
    targetP99Ms: TARGET_P99_MS,
    meetsTarget: (stats.p99 ?? Number.POSITIVE_INFINITY) <= TARGET_P99_MS,
  };
}
