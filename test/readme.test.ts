import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRepoConfig } from '../lib/core/repo-config';

const README = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');

describe('README', () => {
  it('shows a plumbline.yaml that parses, with and without its commented helm block', () => {
    const block = /```yaml\n(version: 1\n[\s\S]*?)```/.exec(README)?.[1];
    expect(block).toBeDefined();
    const config = parseRepoConfig(block ?? '');
    expect(config.apps[0]).toMatchObject({
      name: 'web',
      path: 'apps/web',
      cluster: 'prod',
      namespace: 'web',
      prune: true,
      selfHeal: false,
    });
    const withHelm = (block ?? '')
      .replace('renderer: auto ', 'renderer: helm ')
      .replace('    # helm:', '    helm:');
    expect(parseRepoConfig(withHelm).apps[0]?.renderer).toMatchObject({ type: 'helm' });
  });

  it('names the test command and the two quick-start commands', () => {
    expect(README).toContain('npm ci && npm start');
    expect(README).toContain('npm test');
  });
});
