import { stringify } from 'yaml';
import { parseRepoConfig, RepoConfigError } from '../../lib/core/repo-config';

const APP = { name: 'web', path: 'apps/web', cluster: 'prod', namespace: 'web' };
const CHART = { repository: 'oci://registry.example.com/charts', name: 'podinfo', version: '6.7.0' };

function parse(app: Record<string, unknown>) {
  return parseRepoConfig(stringify({ version: 1, apps: [{ ...APP, ...app }] }));
}

function refusal(app: Record<string, unknown>): string {
  try {
    parse(app);
  } catch (err: unknown) {
    if (err instanceof RepoConfigError) return err.message;
    throw err;
  }
  throw new Error('accepted');
}

describe('plumbline.yaml chart', () => {
  it('renders an app with a chart block by helm, with the helm block values beside it', () => {
    const [app] = parse({ chart: CHART, helm: { values: { replicas: 2 } } }).apps;
    expect(app?.renderer).toEqual({
      type: 'helm',
      helm: { releaseName: 'web', namespace: 'web', values: { replicas: 2 }, chart: CHART },
    });
  });

  it.each([
    [
      { ...CHART, version: '^6.0.0' },
      /chart\.version.*"\^6\.0\.0" is not an exact version such as 1\.2\.3: ranges are not allowed/,
    ],
    [{ ...CHART, version: '6.x' }, /not an exact version/],
    [{ ...CHART, version: '>=6.7.0' }, /not an exact version/],
    [
      { ...CHART, repository: 'ftp://example.com/charts' },
      /must be an https:\/\/, http:\/\/ or oci:\/\/ URL/,
    ],
    [{ ...CHART, repository: 'https://user:pw@example.com/charts' }, /must carry no credentials/],
    [{ ...CHART, name: '../etc' }, /chart\.name.*is not a chart name/],
    [{ ...CHART, digest: 'sha256:00' }, /unknown key chart\."digest"/],
    [{ repository: CHART.repository, name: CHART.name }, /chart\.version: is required/],
  ])('refuses the chart block %j', (chart, message) => {
    expect(refusal({ chart })).toMatch(message);
  });

  it('refuses a chart with a renderer other than helm', () => {
    expect(refusal({ chart: CHART, renderer: 'kustomize' })).toMatch(
      /an app with a chart is rendered by helm: set renderer: helm or leave it out/,
    );
  });
});
