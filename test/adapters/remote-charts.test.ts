import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ChartDigestError,
  ChartNotAllowedError,
  ChartRefusedError,
  ChartSource,
  type FetchLike,
} from '../../lib/adapters/charts';
import { HelmRenderer, lockAppCharts } from '../../lib/adapters/renderers';
import type { ChartRef, HelmOptions, RenderResult } from '../../lib/core/render';
import {
  type LocalChartRepository,
  type LocalRegistry,
  startChartRepository,
  startDockerRegistry,
} from '../../lib/local/charts';
import { helm, packageChart, requireRegistry } from '../helpers/charts';
import { LIMITS } from './render-helpers';

const run = requireRegistry() ? describe : describe.skip;

/** A fetch that counts the requests it passes on: rendering from the cache must make none. */
function countingFetch(): { fetch: FetchLike; calls: () => number } {
  let calls = 0;
  return {
    fetch: (url, init) => {
      calls += 1;
      return fetch(url, init);
    },
    calls: () => calls,
  };
}

function configMaps(result: RenderResult): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const m of result.manifests) {
    const data = (m.object as { data?: Record<string, string> }).data;
    out[m.object.metadata.name] = data?.greeting;
  }
  return out;
}

run('remote charts', () => {
  let registry: LocalRegistry;
  let chartRepo: LocalChartRepository;
  let work: string;
  let oci: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'plumbline-remote-charts-'));
    registry = await startDockerRegistry();
    oci = `oci://${registry.host}/charts`;
    const served = join(work, 'served');
    await mkdir(served);
    chartRepo = await startChartRepository(served);
    packageChart(served, 'hello', '1.0.0', 'from-http');
    packageChart(served, 'redis-lite', '2.0.0', 'dependency');
    helm(['repo', 'index', served, '--url', chartRepo.url]);
    const pushed = join(work, 'pushed');
    for (const [name, marker] of [
      ['podlet', 'from-oci'],
      ['mutable', 'first'],
    ] as const) {
      helm(['push', packageChart(pushed, name, '1.0.0', marker), oci, '--plain-http']);
    }
  }, 60_000);

  afterAll(async () => {
    await registry?.stop();
    await chartRepo?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** A config repository holding one app directory; returns its root. */
  async function configRepo(files: Record<string, string> = {}): Promise<string> {
    const root = await mkdtemp(join(work, 'repo-'));
    await mkdir(join(root, 'app'));
    for (const [path, text] of Object.entries(files)) await writeFile(join(root, 'app', path), text);
    return root;
  }

  function source(
    allowList: readonly string[],
    extra: Partial<ConstructorParameters<typeof ChartSource>[0]> = {},
  ) {
    return new ChartSource({ allowList, cacheDir: join(work, `cache-${Math.random()}`), ...extra });
  }

  const helmOptions = (chart?: ChartRef): HelmOptions => ({
    releaseName: 'web',
    namespace: 'web',
    ...(chart ? { chart } : {}),
  });

  it('renders a chart pulled from a docker-registry (OCI) at the digest plumbline.lock records', async () => {
    const root = await configRepo();
    const chart = { repository: oci, name: 'podlet', version: '1.0.0' };
    const charts = source([`oci://${registry.host}`]);
    const { lock } = await lockAppCharts(root, 'app', helmOptions(chart), charts);
    expect(lock.charts).toEqual([{ ...chart, digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) }]);
    expect(await readFile(join(root, 'app/plumbline.lock'), 'utf8')).toContain(lock.charts[0]?.digest);
    const result = await new HelmRenderer(
      { ...helmOptions(chart), values: { greeting: 'overridden' } },
      { charts },
    ).render({ repoRoot: root, appPath: 'app', limits: LIMITS });
    expect(configMaps(result)).toEqual({ 'web-podlet': 'overridden' });
  });

  it('renders a chart from a static chart repository (index.yaml, then the archive)', async () => {
    const root = await configRepo();
    const chart = { repository: chartRepo.url, name: 'hello', version: '1.0.0' };
    const charts = source([chartRepo.url]);
    await lockAppCharts(root, 'app', helmOptions(chart), charts);
    const result = await new HelmRenderer(helmOptions(chart), { charts }).render({
      repoRoot: root,
      appPath: 'app',
      limits: LIMITS,
    });
    expect(configMaps(result)).toEqual({ 'web-hello': 'from-http' });
  });

  it('renders an umbrella chart in Git whose dependencies come from a chart repository and a registry', async () => {
    const root = await configRepo({
      'Chart.yaml': `apiVersion: v2\nname: umbrella\nversion: 0.1.0\ndependencies:\n  - name: redis-lite\n    version: 2.0.0\n    repository: ${chartRepo.url}\n  - name: podlet\n    version: 1.0.0\n    repository: ${oci}\n`,
    });
    const charts = source([chartRepo.url, oci]);
    const { lock } = await lockAppCharts(root, 'app', undefined, charts);
    expect(lock.charts.map((c) => c.name).sort()).toEqual(['podlet', 'redis-lite']);
    const result = await new HelmRenderer(helmOptions(), { charts }).render({
      repoRoot: root,
      appPath: 'app',
      limits: LIMITS,
    });
    expect(configMaps(result)).toEqual({ 'web-redis-lite': 'dependency', 'web-podlet': 'from-oci' });
  });

  it('refuses a chart whose digest changed since it was locked (typed, not retryable)', async () => {
    const root = await configRepo();
    const chart = { repository: oci, name: 'mutable', version: '1.0.0' };
    await lockAppCharts(root, 'app', helmOptions(chart), source([oci]));
    // The same tag, pushed again with other content: what a compromised or careless publisher does.
    helm(['push', packageChart(join(work, 'repushed'), 'mutable', '1.0.0', 'second'), oci, '--plain-http']);
    const charts = source([oci]);
    const err = await new HelmRenderer(helmOptions(chart), { charts })
      .render({ repoRoot: root, appPath: 'app', limits: LIMITS })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChartDigestError);
    expect((err as ChartDigestError).retryable).toBe(false);
    expect((err as Error).message).toMatch(
      /^app app: chart mutable 1\.0\.0 from oci:\/\/.* is sha256:[0-9a-f]{64}, not the sha256:[0-9a-f]{64} plumbline\.lock records/,
    );
  });

  it.each([
    [[] as string[], /no chart repository is allowed/],
    [
      ['oci://127.0.0.1:1/charts', 'http://127.0.0.1:1'],
      /allowed: oci:\/\/127\.0\.0\.1:1\/charts, http:\/\/127\.0\.0\.1:1/,
    ],
  ])(
    'refuses a repository not on the allow-list %j, naming it, before any request',
    async (allowList, how) => {
      const root = await configRepo({ 'plumbline.lock': 'version: 1\ncharts: []\n' });
      const counting = countingFetch();
      const chart = { repository: oci, name: 'podlet', version: '1.0.0' };
      const err = await new HelmRenderer(helmOptions(chart), {
        charts: source(allowList, { fetch: counting.fetch }),
      })
        .render({ repoRoot: root, appPath: 'app', limits: LIMITS })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ChartNotAllowedError);
      expect((err as ChartNotAllowedError).repository).toBe(oci);
      expect((err as Error).message).toContain(`chart repository ${oci} is not on the allow-list`);
      expect((err as Error).message).toMatch(how);
      expect(counting.calls()).toBe(0);
    },
  );

  it('refuses a dependency from a repository not on the allow-list, naming it', async () => {
    const root = await configRepo({
      'Chart.yaml': `apiVersion: v2\nname: umbrella\nversion: 0.1.0\ndependencies:\n  - name: hello\n    version: 1.0.0\n    repository: ${chartRepo.url}\n`,
    });
    const err = await new HelmRenderer(helmOptions(), { charts: source([oci]) })
      .render({ repoRoot: root, appPath: 'app', limits: LIMITS })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChartNotAllowedError);
    expect((err as Error).message).toMatch(
      new RegExp(
        `^app/Chart\\.yaml: dependency hello: chart repository ${chartRepo.url.replace(/\./g, '\\.')} is not on the allow-list`,
      ),
    );
  });

  it('refuses a remote chart that plumbline.lock does not pin, and a version range', async () => {
    const root = await configRepo();
    const chart = { repository: oci, name: 'podlet', version: '1.0.0' };
    const err = await new HelmRenderer(helmOptions(chart), { charts: source([oci]) })
      .render({ repoRoot: root, appPath: 'app', limits: LIMITS })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChartRefusedError);
    expect((err as Error).message).toMatch(/is not in plumbline\.lock; run plumbline chart lock$/);
    const ranged = await configRepo({
      'Chart.yaml': `apiVersion: v2\nname: u\nversion: 0.1.0\ndependencies:\n  - name: hello\n    version: ~1.0.0\n    repository: ${chartRepo.url}\n`,
    });
    await expect(
      new HelmRenderer(helmOptions(), { charts: source([chartRepo.url]) }).render({
        repoRoot: ranged,
        appPath: 'app',
        limits: LIMITS,
      }),
    ).rejects.toThrow(/chart\.version "~1\.0\.0" is not an exact version/);
  });

  it('renders with no network access once the charts are fetched: no request, no connection', async () => {
    const root = await configRepo({
      'Chart.yaml': `apiVersion: v2\nname: umbrella\nversion: 0.1.0\ndependencies:\n  - name: hello\n    version: 1.0.0\n    repository: ${chartRepo.url}\n`,
    });
    const cacheDir = join(work, 'warm-cache');
    await lockAppCharts(root, 'app', undefined, new ChartSource({ allowList: [chartRepo.url], cacheDir }));
    const counting = countingFetch();
    const before = chartRepo.connections();
    const result = await new HelmRenderer(helmOptions(), {
      charts: new ChartSource({ allowList: [chartRepo.url], cacheDir, fetch: counting.fetch }),
    }).render({ repoRoot: root, appPath: 'app', limits: LIMITS });
    expect(configMaps(result)).toEqual({ 'web-hello': 'from-http' });
    // Neither our fetch nor helm (whose Chart.yaml names the repository) reached it.
    expect(counting.calls()).toBe(0);
    expect(chartRepo.connections()).toBe(before);
  });
});
