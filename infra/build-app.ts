import { App, Aws, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ClusterAccessStack } from './cluster-access-stack';
import type { PlumblineConfig } from './config';
import { isRemoteCluster } from './constructs/plumbline';
import { syncRoleName } from './names';
import { PlumblineStack, type PlumblineStackProps } from './plumbline-stack';

/** The app of cdk.json: the main stack, and one ClusterAccessStack per cluster in another account or region. */
export function buildApp(
  config: PlumblineConfig,
  app = new App(),
  /** Tests: a stand-in kubectl layer, so that synth skips hashing its 36 MB asset. */
  options: Pick<PlumblineStackProps, 'kubectlLayer'> = {},
): App {
  const main = new PlumblineStack(app, config.stackName, {
    env: config.env,
    description: 'Plumbline: serverless GitOps for EKS',
    plumbline: config,
    ...options,
  });
  for (const cluster of config.clusters) {
    if (!isRemoteCluster(cluster, main)) continue;
    const account = cluster.account ?? config.env?.account;
    const access = new ClusterAccessStack(app, `${config.stackName}-access-${cluster.name}`, {
      env: { account, region: cluster.region },
      description: `Plumbline access to EKS cluster ${cluster.name}`,
      cluster,
      ...(config.chartRepositories ? { chartRepositories: config.chartRepositories } : {}),
      // A literal ARN: the stacks are in different accounts, so no cross-stack reference.
      syncRoleArn: `arn:${Aws.PARTITION}:iam::${config.env?.account}:role/${syncRoleName(config.stackName, main.region)}`,
    });
    // The cluster role trusts the sync role by ARN, which IAM refuses before that role exists:
    // `cdk deploy --all` deploys the main stack first.
    access.addStackDependency(main);
  }
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return app;
}
