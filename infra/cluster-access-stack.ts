import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { ClusterProps } from './config';
import { ClusterAccess } from './constructs/cluster-access';

export interface ClusterAccessStackProps extends StackProps {
  readonly cluster: ClusterProps;
  /** The sync function's role in the Plumbline account: `arn:<partition>:iam::<account>:role/<stack>-sync-<region>`. */
  readonly syncRoleArn: string;
  /** The deployment's `chartRepositories` (ECR entries are granted to the cluster role). */
  readonly chartRepositories?: readonly string[];
}

/**
 * For a cluster in another account or region: its role and access entry, deployed in the cluster's
 * account and region after the main stack (the trust policy names the sync role, which must exist).
 */
export class ClusterAccessStack extends Stack {
  readonly access: ClusterAccess;

  constructor(scope: Construct, id: string, props: ClusterAccessStackProps) {
    super(scope, id, props);
    this.access = new ClusterAccess(this, 'ClusterAccess', props);
  }
}
