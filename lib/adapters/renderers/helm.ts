import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type HelmOptions,
  parseRendererConfig,
  type Renderer,
  RendererConfigError,
  type RenderInput,
  type RenderResult,
} from '../../core/render';
import { ChartSource, lockedDigest as lockedDigestOf } from '../charts';
import { binaryPath, type RendererDeps, runOnCopy } from './binary-run';
import { resolveRef } from './config-files';
import { RenderError } from './errors';
import { prepareChart } from './helm-check';
import { resultFromOutput } from './output';
import { dependencyFetcher, readChartLock, unpackPulledChart } from './remote-chart';
import { withRepoCopy } from './repo-copy';
import type { RepoFile } from './repo-tree';
import { RepoTree } from './repo-tree';

/** The options checked again here: a HelmRenderer may be built without parseRendererConfig. */
function checked(options: HelmOptions): HelmOptions {
  try {
    const config = parseRendererConfig({ type: 'helm', helm: options }, 'helm options');
    if (config.type !== 'helm') throw new RenderError('helm options: not a helm configuration');
    return config.helm;
  } catch (err: unknown) {
    if (err instanceof RendererConfigError) throw new RenderError(err.message, { cause: err });
    throw err;
  }
}

/**
 * `helm template` of a chart in the repository (issue #4): the app directory is the chart. Value
 * files must be in the repository; inline values go through a file, never `--set`. The chart is
 * copied without links, its packaged subcharts unpacked and every chart checked (helm-check.ts),
 * then helm runs in a private environment with no plugins, no repositories and no cluster: no
 * `--post-renderer`, `--dependency-update`, `--validate`, `--dry-run=server` or `--enable-dns`.
 */
export class HelmRenderer implements Renderer {
  readonly name = 'helm';

  constructor(
    private readonly options: HelmOptions,
    private readonly deps: RendererDeps = {},
  ) {}

  async render(input: RenderInput): Promise<RenderResult> {
    const { limits } = input;
    const options = checked(this.options);
    const tree = await RepoTree.open(input.repoRoot);
    const app = await tree.appDir(input.appPath);
    const chartPath = app.path === '.' ? 'Chart.yaml' : `${app.path}/Chart.yaml`;
    const chartFile = await tree.lookup(chartPath);
    if (chartFile.kind === 'escapes') {
      throw new RenderError(`${chartPath} resolves outside the repository through a symbolic link`);
    }
    if (options.chart === undefined && chartFile.kind !== 'file')
      throw new RenderError(`${app.path} holds no Chart.yaml: not a Helm chart`);
    if (options.chart !== undefined && chartFile.kind !== 'missing')
      throw new RenderError(`${app.path} holds a Chart.yaml and the app names a remote chart: keep one`);
    // Remote charts (#15): fetched before helm runs, at the digests plumbline.lock records.
    const source = this.deps.charts ?? (options.chart ? new ChartSource({ allowList: [] }) : undefined);
    const lock = source ? await readChartLock(tree, app) : undefined;
    const pulled =
      options.chart && source && lock
        ? await source.pull(options.chart, lockedDigestOf(lock, options.chart), `app ${app.path}`)
        : undefined;
    const valueFiles: RepoFile[] = [];
    for (const [i, path] of (options.valueFiles ?? []).entries()) {
      const found = await resolveRef(tree, '.', path, `valueFiles[${i}]`, 'helm options');
      if (found.kind !== 'file')
        throw new RenderError(`helm options: valueFiles[${i}] ${path} is a directory`);
      valueFiles.push(found.file);
    }
    const binary = binaryPath(this.deps, 'helm');
    return withRepoCopy(tree, { dirs: [app], files: valueFiles }, limits, async (copy) => {
      let chartDir = app.path;
      let used = 0;
      if (pulled && options.chart) {
        const unpacked = await unpackPulledChart(copy, options.chart, pulled.archive, limits);
        chartDir = unpacked.path;
        used = unpacked.bytes;
      }
      const remote = {
        pinned: pulled !== undefined,
        ...(source && lock ? { fetch: dependencyFetcher(source, lock) } : {}),
      };
      await prepareChart(copy, chartDir, limits, remote, used);
      const values = valueFiles.map((f) => `--values=${copy.at(f.path)}`);
      if (options.values !== undefined) {
        // JSON is YAML: helm reads it as a values file, so no value is ever parsed as --set syntax.
        const inline = join(copy.scratch, 'values.json');
        await writeFile(inline, JSON.stringify(options.values), { mode: 0o600 });
        values.push(`--values=${inline}`);
      }
      const args = [
        'template',
        `--namespace=${options.namespace}`,
        ...values,
        ...(options.kubeVersion === undefined ? [] : [`--kube-version=${options.kubeVersion}`]),
        ...(options.includeCrds === false ? [] : ['--include-crds']),
        '--',
        options.releaseName,
        copy.at(chartDir),
      ];
      const { stdout } = await runOnCopy(
        { renderer: this.name, subject: app.path, binary, args },
        copy,
        limits,
        this.deps.redactor,
      );
      return resultFromOutput(this.name, stdout, `${app.path} (helm)`, limits, copy.files);
    });
  }
}
