import type { Renderer, RenderInput, RenderResult } from '../../core/render';
import { binaryPath, type RendererDeps, runOnCopy } from './binary-run';
import { KustomizeChecker } from './kustomize-check';
import { resultFromOutput } from './output';
import { withRepoCopy } from './repo-copy';
import { RepoTree } from './repo-tree';

/**
 * `kubectl kustomize` of the app directory, locked down (issue #4): every kustomization it can
 * reach is checked first (kustomize-check.ts), then the binary runs on a copy without links
 * (repo-copy.ts) in a private environment (run-binary.ts). Flags that would load plugins, run
 * functions, inflate Helm charts or reach the network are never passed; the load restrictor is
 * given explicitly, in case a later kubectl changes its default.
 */
export class KustomizeRenderer implements Renderer {
  readonly name = 'kustomize';

  constructor(private readonly deps: RendererDeps = {}) {}

  async render(input: RenderInput): Promise<RenderResult> {
    const { limits } = input;
    const tree = await RepoTree.open(input.repoRoot);
    const app = await tree.appDir(input.appPath);
    const checked = await new KustomizeChecker(tree, limits).check(app);
    const binary = binaryPath(this.deps, 'kubectl');
    return withRepoCopy(tree, { dirs: checked.dirs }, limits, async (copy) => {
      const { stdout } = await runOnCopy(
        {
          renderer: this.name,
          subject: app.path,
          binary,
          args: ['kustomize', '--load-restrictor=LoadRestrictionsRootOnly', '--', copy.at(app.path)],
        },
        copy,
        limits,
        this.deps.redactor,
      );
      return resultFromOutput(this.name, stdout, `${app.path} (kustomize)`, limits, copy.files);
    });
  }
}
