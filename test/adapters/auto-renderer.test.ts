import { AutoRenderer, detectRenderer, rendererFor } from '../../lib/adapters/renderers';
import type { RenderInput } from '../../lib/core/render';
import { fixturePath } from '../helpers/fixtures';
import { LIMITS, renderError } from './render-helpers';

const input = (repo: string, appPath: string): RenderInput => ({
  repoRoot: fixturePath('render', repo),
  appPath,
  limits: LIMITS,
});

describe('auto renderer', () => {
  it.each([
    ['kustomize', 'overlays/prod', 'kustomize'],
    ['kustomize', 'components/monitoring', 'kustomize'],
    ['helm', 'charts/demo', 'helm'],
    ['repo', 'apps/web', 'plain'],
  ])('detects %s/%s as %s', async (repo, app, expected) => {
    expect(await detectRenderer(input(repo, app))).toBe(expected);
  });

  it('renders with the detected renderer, and the result names it', async () => {
    const auto = new AutoRenderer({ releaseName: 'web', namespace: 'shop' });
    expect((await auto.render(input('kustomize', 'overlays/prod'))).renderer).toBe('kustomize');
    expect((await auto.render(input('helm', 'charts/demo'))).renderer).toBe('helm');
    expect((await auto.render(input('repo', 'apps/web'))).renderer).toBe('plain');
  });

  it('refuses a chart when no release name and namespace were given', async () => {
    const error = await renderError(new AutoRenderer(undefined).render(input('helm', 'charts/demo')));
    expect(error.message).toBe(
      'charts/demo is a Helm chart, but no release name and namespace were given for it',
    );
  });

  it('builds the renderer a configuration names', () => {
    const helm = { releaseName: 'web', namespace: 'shop' };
    expect(rendererFor({ type: 'plain' }).name).toBe('plain');
    expect(rendererFor({ type: 'kustomize' }).name).toBe('kustomize');
    expect(rendererFor({ type: 'helm', helm }).name).toBe('helm');
    expect(rendererFor({ type: 'auto' }).name).toBe('auto');
  });
});
