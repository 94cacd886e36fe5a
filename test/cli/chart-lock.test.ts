import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli';

describe('plumbline chart lock and --chart-repositories', () => {
  let repo: string;
  beforeEach(async () => {
    repo = await mkdtemp(join(tmpdir(), 'plumbline-chart-lock-'));
    await mkdir(join(repo, 'apps/web'), { recursive: true });
    await writeFile(
      join(repo, 'plumbline.yaml'),
      'version: 1\napps:\n  - name: web\n    path: apps/web\n    cluster: local\n    namespace: web\n    chart: {repository: "https://charts.example.com/stable", name: web, version: "1.0.0"}\n',
    );
  });
  afterEach(() => rm(repo, { recursive: true, force: true }));

  it.each([['ftp://charts.example.com'], ['charts.example.com'], ['-x']])(
    'exits 2 with one line for --chart-repositories %s, writing nothing',
    async (url) => {
      const run = await runCli([
        'chart',
        'lock',
        '--app',
        'web',
        '--repo-root',
        repo,
        `--chart-repositories=${url}`,
      ]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(
        /^error: --chart-repositories: ".*" is not an https:\/\/, http:\/\/ or oci:\/\/ URL\n$/,
      );
      expect(existsSync(join(repo, 'apps/web/plumbline.lock'))).toBe(false);
    },
  );

  it('exits 2 without PATH or --app', async () => {
    const run = await runCli(['chart', 'lock', '--repo-root', repo]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('error: give PATH (a chart directory) or --app NAME\n');
  });

  it('refuses a repository off the allow-list, naming it, and writes no lock', async () => {
    const run = await runCli([
      'chart',
      'lock',
      '--app',
      'web',
      '--repo-root',
      repo,
      '--chart-repositories',
      'https://charts.example.com/incubator',
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'error: app apps/web: chart repository https://charts.example.com/stable is not on the allow-list; allowed: https://charts.example.com/incubator\n',
    );
    expect(existsSync(join(repo, 'apps/web/plumbline.lock'))).toBe(false);
  });
});
