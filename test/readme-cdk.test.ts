import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from './helpers/git';

const run = promisify(execFile);
const ROOT = join(__dirname, '..');
const CLUSTER = 'edge';

/**
 * The README's `npx cdk deploy Plumbline-access-<cluster> --exclusively --profile <that account>` needs an AWS account;
 * the stack it deploys is synthesized here by name, offline and without credentials (test/infra/synth.test.ts
 * does the same for `npx cdk deploy Plumbline`).
 */
describe('README: npx cdk deploy Plumbline-access-<cluster>', () => {
  it('synthesizes the access stack of a cluster in another account by that name, offline', async () => {
    const dir = tempDir('readme-cdk');
    const config = join(dir, 'plumbline.config.json');
    writeFileSync(
      config,
      JSON.stringify({
        stackName: 'Plumbline',
        env: { account: '111111111111', region: 'eu-west-1' },
        repositories: [
          { url: 'https://github.com/acme/platform-config.git', branch: 'main', provider: 'github' },
        ],
        clusters: [
          { name: 'prod', region: 'eu-west-1', allowedNamespaces: ['apps'], clusterScoped: false },
          {
            name: CLUSTER,
            region: 'us-east-1',
            account: '222222222222',
            allowedNamespaces: ['edge'],
            clusterScoped: false,
          },
        ],
      }),
    );
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env))
      if (!k.startsWith('AWS_') && !k.startsWith('CDK_')) env[k] = v;
    const out = join(dir, 'cdk.out');
    await run(
      join(ROOT, 'node_modules', '.bin', 'cdk'),
      // --exclusively: the access stack depends on the main stack, which is in another account.
      ['synth', `Plumbline-access-${CLUSTER}`, '--exclusively', '--quiet', '--output', out],
      {
        cwd: ROOT,
        env: {
          ...env,
          PLUMBLINE_CONFIG: config,
          AWS_EC2_METADATA_DISABLED: 'true',
          AWS_CONFIG_FILE: '/dev/null',
          AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
          HTTPS_PROXY: 'http://127.0.0.1:9',
          HTTP_PROXY: 'http://127.0.0.1:9',
        },
        timeout: 120_000,
      },
    );
    const template = JSON.parse(
      readFileSync(join(out, `Plumbline-access-${CLUSTER}.template.json`), 'utf8'),
    ) as {
      Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    };
    const byType = (type: string) => Object.values(template.Resources).filter((r) => r.Type === type);
    expect(byType('AWS::IAM::Role')).toEqual([
      expect.objectContaining({
        Properties: expect.objectContaining({ RoleName: `plumbline-${CLUSTER}-us-east-1` }),
      }),
    ]);
    expect(byType('AWS::EKS::AccessEntry')).toEqual([
      expect.objectContaining({ Properties: expect.objectContaining({ ClusterName: CLUSTER }) }),
    ]);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as {
      artifacts: Record<string, { environment?: string; dependencies?: string[] }>;
    };
    // Deployed with the other account's profile, in the cluster's region.
    // `cdk deploy --all` deploys it after the main stack, whose sync role it trusts.
    expect(manifest.artifacts[`Plumbline-access-${CLUSTER}`]?.dependencies).toContain('Plumbline');
    expect(manifest.artifacts[`Plumbline-access-${CLUSTER}`]?.environment).toBe(
      'aws://222222222222/us-east-1',
    );
  }, 180_000);
});
