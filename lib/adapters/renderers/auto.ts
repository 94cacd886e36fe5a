import type { HelmOptions, Renderer, RendererConfig, RenderInput, RenderResult } from '../../core/render';
import type { RendererDeps } from './binary-run';
import { RenderError } from './errors';
import { HelmRenderer } from './helm';
import { KustomizeRenderer } from './kustomize';
import { KUSTOMIZATION_FILES } from './kustomize-check';
import { PlainRenderer } from './plain';
import { RepoTree } from './repo-tree';

export type DetectedRenderer = 'kustomize' | 'helm' | 'plain';

/**
 * What the app directory holds: a kustomization (kustomization.yaml, .yml or Kustomization) means
 * kustomize, else a Chart.yaml means helm, else plain YAML. A name that is there but unusable (a
 * link out of the repository, say) still picks its renderer, which then refuses it by name.
 */
export async function detectRenderer(
  input: Pick<RenderInput, 'repoRoot' | 'appPath'>,
): Promise<DetectedRenderer> {
  return (await detect(input)).renderer;
}

async function detect(
  input: Pick<RenderInput, 'repoRoot' | 'appPath'>,
): Promise<{ renderer: DetectedRenderer; path: string }> {
  const tree = await RepoTree.open(input.repoRoot);
  const app = await tree.appDir(input.appPath);
  const at = (name: string) => (app.path === '.' ? name : `${app.path}/${name}`);
  for (const name of KUSTOMIZATION_FILES) {
    if ((await tree.lookup(at(name))).kind !== 'missing') return { renderer: 'kustomize', path: app.path };
  }
  if ((await tree.lookup(at('Chart.yaml'))).kind !== 'missing') return { renderer: 'helm', path: app.path };
  return { renderer: 'plain', path: app.path };
}

/** Picks kustomize, helm or plain per app directory (detectRenderer); the result names the one used. */
export class AutoRenderer implements Renderer {
  readonly name = 'auto';

  constructor(
    private readonly helm: HelmOptions | undefined,
    private readonly deps: RendererDeps = {},
  ) {}

  async render(input: RenderInput): Promise<RenderResult> {
    const { renderer: detected, path } = await detect(input);
    if (detected === 'helm' && this.helm === undefined) {
      throw new RenderError(`${path} is a Helm chart, but no release name and namespace were given for it`);
    }
    return rendererFor(
      detected === 'helm' ? { type: 'helm', helm: this.helm as HelmOptions } : { type: detected },
      this.deps,
    ).render(input);
  }
}

/** The renderer a validated configuration (parseRendererConfig) asks for. */
export function rendererFor(config: RendererConfig, deps: RendererDeps = {}): Renderer {
  switch (config.type) {
    case 'plain':
      return new PlainRenderer();
    case 'kustomize':
      return new KustomizeRenderer(deps);
    case 'helm':
      return new HelmRenderer(config.helm, deps);
    case 'auto':
      return new AutoRenderer(config.helm, deps);
  }
}
