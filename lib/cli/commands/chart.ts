import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { lockAppCharts } from '../../adapters/renderers';
import type { HelmOptions } from '../../core/render';
import { findApp, parseRepoConfig } from '../../core/repo-config';
import { chartSourceOf, findRepoRoot } from '../app-context';
import { UsageError } from '../errors';
import type { CliIo } from '../io';

export const CHART_HELP = `Usage: plumbline chart lock [PATH] [--app A] [--repo-root DIR] --chart-repositories URL,...

Resolves an app's remote chart (plumbline.yaml's chart: block, with --app) or the remote
dependencies of the chart in PATH (Chart.yaml), as their repositories serve them now, and writes
their sha256 digests to plumbline.lock in the app directory. Commit the file: a sync refuses a chart
whose digest differs from it. Only repositories on --chart-repositories are fetched. With
--chart-keyring FILE, a chart whose provenance (.prov) does not verify with its keys is not locked.
`;

const OPTIONS = {
  app: { type: 'string' },
  'repo-root': { type: 'string' },
  'chart-repositories': { type: 'string' },
  'chart-keyring': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function chartCommand(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    io.out(CHART_HELP);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'lock') throw new UsageError(`unknown chart command '${sub}': use chart lock`);
  const { values, positionals } = parseArgs({
    args: rest,
    options: OPTIONS,
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    io.out(CHART_HELP);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError('chart lock takes one PATH');
  const source = chartSourceOf(values);
  const repoRoot = resolve(values['repo-root'] ?? findRepoRoot(positionals[0] ?? '.'));
  let appPath = positionals[0] === undefined ? undefined : resolve(positionals[0]);
  let helm: HelmOptions | undefined;
  if (values.app !== undefined) {
    const text = await readFile(join(repoRoot, 'plumbline.yaml'), 'utf8').catch(() => undefined);
    if (text === undefined) throw new UsageError(`--app needs plumbline.yaml in ${repoRoot}`);
    const app = findApp(parseRepoConfig(text), values.app);
    if (app.renderer.type === 'helm' || app.renderer.type === 'auto') helm = app.renderer.helm;
    appPath ??= join(repoRoot, app.path);
  }
  if (appPath === undefined) throw new UsageError('give PATH (a chart directory) or --app NAME');
  const { path, lock } = await lockAppCharts(repoRoot, appPath, helm, source);
  for (const chart of lock.charts)
    io.out(`${chart.name} ${chart.version} ${chart.repository} ${chart.digest}\n`);
  io.out(`wrote ${path}\n`);
  return 0;
}
