import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePlumblineConfig } from '../infra/config';

const README = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
const GUIDE = README.slice(
  README.indexOf('### Deploy guide, step by step'),
  README.indexOf('## The audit trail'),
);

function jsonBlock(startsWith: string): unknown {
  const block = GUIDE.match(/```json\n([\s\S]*?)```/g)?.find((b) => b.includes(startsWith));
  if (!block) throw new Error(`no json block with ${startsWith} in the deploy guide`);
  return JSON.parse(block.slice('```json\n'.length, -3));
}

interface Statement {
  readonly Action: string | readonly string[];
}

describe('README deploy guide', () => {
  it('shows a plumbline.config.json that synth and doctor accept, once its <…> are filled in', () => {
    const text = JSON.stringify(jsonBlock('"stackName"'))
      .replace('<ACCOUNT>', '123456789012')
      .replace('<owner>/<repo>', 'acme/config')
      .replace('<you@example.com>', 'oncall@example.com');
    const config = parsePlumblineConfig(JSON.parse(text), 'README');
    expect(config.clusters[0]).toMatchObject({ name: 'prod', access: 'edit', allowedNamespaces: ['shop'] });
    expect(config.repositories[0]?.credentialsSecretName).toBe('plumbline-git-token');
  });

  it("grants the deployer every call doctor makes, and the git token's secret name it creates", () => {
    const policy = jsonBlock('"Statement"') as { Statement: Statement[] };
    const actions = policy.Statement.flatMap((s) => (typeof s.Action === 'string' ? [s.Action] : s.Action));
    // The calls of lib/cli/doctor (STS GetCallerIdentity needs no permission).
    for (const action of [
      'cloudformation:DescribeStacks',
      'eks:DescribeCluster',
      'eks:DescribeAccessEntry',
      'eks:ListAssociatedAccessPolicies',
      'secretsmanager:DescribeSecret',
      'secretsmanager:ListSecrets',
      'secretsmanager:CreateSecret',
      'sts:AssumeRole',
    ])
      expect(actions).toContain(action);
    expect(GUIDE).toContain('aws secretsmanager create-secret --name plumbline-git-token');
  });
});
