import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type LocalChartRepository,
  type LocalRegistry,
  startChartRepository,
  startDockerRegistry,
} from '../../lib/local/charts';
import { type Sandbox, startSandbox } from '../../lib/local/sandbox';
import { helm, packageChart, requireRegistry } from '../helpers/charts';
import { runCli } from '../helpers/cli';
import {
  commitFiles,
  type GitFixture,
  makeWorkRepo,
  push,
  startGitFixture,
  tempDir,
  type WorkRepo,
} from '../helpers/git';

const run = requireRegistry() ? describe : describe.skip;

/** `plumbline chart lock`, then `plumbline sync --repo` of apps whose charts are remote (#15). */
run('plumbline sync with remote charts', () => {
  let sandbox: Sandbox;
  let registry: LocalRegistry;
  let chartRepo: LocalChartRepository;
  let gitFixture: GitFixture;
  let url: string;
  let work: WorkRepo;
  let allow: string;

  beforeAll(async () => {
    process.env.PLUMBLINE_CACHE_DIR = tempDir('remote-charts-cache');
    sandbox = await startSandbox({ controllerDelayMs: 10 });
    const namespaces = sandbox.core.registry.lookup('', 'v1', 'namespaces')!;
    sandbox.core.persist(
      namespaces,
      undefined,
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'charts' } },
      { dryRun: false },
    );
    registry = await startDockerRegistry();
    const served = tempDir('served-charts');
    await mkdir(served, { recursive: true });
    chartRepo = await startChartRepository(served);
    packageChart(served, 'hello', '1.0.0', 'from-http');
    helm(['repo', 'index', served, '--url', chartRepo.url]);
    const oci = `oci://${registry.host}/charts`;
    helm(['push', packageChart(tempDir('pushed'), 'podlet', '1.0.0', 'from-oci'), oci, '--plain-http']);
    allow = `${oci},${chartRepo.url}`;
    gitFixture = await startGitFixture();
    url = await gitFixture.bare('config');
    work = await makeWorkRepo(url);
    const app = (name: string, extra: string) =>
      `  - name: ${name}\n    path: apps/${name}\n    cluster: local\n    namespace: charts\n${extra}`;
    await commitFiles(work, {
      'plumbline.yaml': `version: 1\napps:\n${app('oci', `    chart: {repository: "${oci}", name: podlet, version: "1.0.0"}\n    helm: {valueFiles: [apps/oci/values.yaml]}\n`)}${app('http', `    chart: {repository: "${chartRepo.url}", name: hello, version: "1.0.0"}\n`)}${app('umbrella', '')}`,
      'apps/oci/values.yaml': 'greeting: from-git-values\n',
      'apps/http/README.md': 'The chart is hello from the local chart repository.\n',
      'apps/umbrella/Chart.yaml': `apiVersion: v2\nname: umbrella\nversion: 0.1.0\ndependencies:\n  - name: hello\n    version: 1.0.0\n    repository: ${chartRepo.url}\n`,
    });
    const locks: Record<string, string> = {};
    for (const name of ['oci', 'http', 'umbrella']) {
      const locked = await runCli([
        'chart',
        'lock',
        '--app',
        name,
        '--repo-root',
        work.dir,
        '--chart-repositories',
        allow,
      ]);
      expect(locked.stderr).toBe('');
      expect(locked.stdout).toContain(`wrote apps/${name}/plumbline.lock`);
      locks[`apps/${name}/plumbline.lock`] = readFileSync(
        join(work.dir, 'apps', name, 'plumbline.lock'),
        'utf8',
      );
    }
    await commitFiles(work, locks, 'lock the charts');
    await push(work);
  }, 90_000);

  afterAll(async () => {
    await gitFixture?.stop();
    await sandbox?.stop();
    await registry?.stop();
    await chartRepo?.stop();
  });

  const greeting = (name: string) =>
    (
      sandbox.core.get(sandbox.core.registry.lookup('', 'v1', 'configmaps')!, 'charts', name) as
        | { data?: Record<string, string> }
        | undefined
    )?.data?.greeting;

  it.each([
    ['oci', 'oci-podlet', 'from-git-values'],
    ['http', 'http-hello', 'from-http'],
    ['umbrella', 'umbrella-hello', 'from-http'],
  ])('syncs the %s app to the sandbox', async (app, object, value) => {
    const synced = await runCli([
      'sync',
      '--repo',
      url,
      '--app',
      app,
      '--kubeconfig',
      sandbox.kubeconfigPath,
      '--chart-repositories',
      allow,
      '-o',
      'json',
    ]);
    expect(synced.stderr).toBe('');
    expect(synced.code).toBe(0);
    expect(greeting(object)).toBe(value);
  });

  it('refuses the sync, naming the repository, when the allow-list leaves it out, and changes nothing', async () => {
    sandbox.resetStats();
    const refused = await runCli([
      'sync',
      '--repo',
      url,
      '--app',
      'http',
      '--kubeconfig',
      sandbox.kubeconfigPath,
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `error: app apps/http: chart repository ${chartRepo.url} is not on the allow-list; no chart repository is allowed (set chartRepositories in the deployment config, or --chart-repositories)\n`,
    );
    expect(sandbox.stats().total).toBe(0);
  });
});
