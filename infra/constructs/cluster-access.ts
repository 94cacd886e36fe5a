import { Aws, CfnRule, Fn, Validations } from 'aws-cdk-lib';
import { CfnAccessEntry } from 'aws-cdk-lib/aws-eks';
import { ArnPrincipal, PolicyDocument, PolicyStatement, Role } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { ClusterAccessLevel, ClusterProps } from '../config';
import { clusterRoleName } from '../names';

/** The EKS access policy each `clusters[].access` gives in the allowed namespaces (#13). */
export const NAMESPACE_ACCESS_POLICIES: Readonly<Record<ClusterAccessLevel, string>> = {
  view: 'AmazonEKSViewPolicy',
  edit: 'AmazonEKSEditPolicy',
  admin: 'AmazonEKSAdminPolicy',
};
/** Given at cluster scope where `clusterScoped`: Namespaces, CRDs, ClusterRoles need it. */
export const CLUSTER_ADMIN_POLICY = 'AmazonEKSClusterAdminPolicy';

/** In the stack's partition: `arn:aws-cn:eks::aws:…` in China, `arn:aws-us-gov:…` in GovCloud. */
export function accessPolicyArn(policy: string): string {
  return `arn:${Aws.PARTITION}:eks::aws:cluster-access-policy/${policy}`;
}

/** Fixed (infra/names.ts), so that a stack in another account can name the role before either exists. */
export function clusterRoleArn(cluster: Pick<ClusterProps, 'name' | 'region'>, account: string): string {
  return `arn:${Aws.PARTITION}:iam::${account}:role/${clusterRoleName(cluster.name, cluster.region)}`;
}

export interface ClusterAccessProps {
  readonly cluster: ClusterProps;
  /** The sync function's role: the only principal the cluster role trusts. */
  readonly syncRoleArn: string;
  /** The deployment's `chartRepositories`: the Amazon ECR ones among them may be pulled from as this role (#15). */
  readonly chartRepositories?: readonly string[];
}

/** `oci://<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]/<path>`, as lib/adapters/charts/ecr.ts logs in to. */
const ECR_REPOSITORY =
  /^oci:\/\/(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?(?::443)?(\/[^?#]*)?$/;

/**
 * The ECR repositories a chartRepositories entry allows: the chart is `<path>/<name>` in the
 * registry (lib/adapters/charts/oci.ts), so every repository under the entry's path.
 */
export function ecrRepositoryArns(chartRepositories: readonly string[]): string[] {
  const arns = new Set<string>();
  for (const url of chartRepositories) {
    const match = ECR_REPOSITORY.exec(url);
    if (!match) continue;
    const [, account, region, china, path = ''] = match;
    const prefix = path.replace(/^\/+|\/+$/g, '');
    const partition = china ? 'aws-cn' : Aws.PARTITION;
    arns.add(`arn:${partition}:ecr:${region}:${account}:repository/${prefix === '' ? '' : `${prefix}/`}*`);
  }
  return [...arns].sort();
}

/**
 * A cluster's IAM role and its EKS access entry, in the cluster's account and region. The role may
 * describe that one cluster and read `plumbline/<cluster>/*` secrets, nothing else; the access entry
 * gives it the `access` policy (view, edit or admin) in the allowed namespaces, and cluster admin only
 * where `clusterScoped` (#7, #13).
 */
export class ClusterAccess extends Construct {
  readonly role: Role;
  readonly accessEntry: CfnAccessEntry;

  constructor(scope: Construct, id: string, props: ClusterAccessProps) {
    super(scope, id);
    const { cluster } = props;
    const ecrArns = ecrRepositoryArns(props.chartRepositories ?? []);
    const clusterArn = `arn:${Aws.PARTITION}:eks:${Aws.REGION}:${Aws.ACCOUNT_ID}:cluster/${cluster.name}`;
    const secretsArn = `arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:plumbline/${cluster.name}/*`;
    this.role = new Role(this, 'Role', {
      roleName: clusterRoleName(cluster.name, cluster.region),
      description: `Plumbline sync access to EKS cluster ${cluster.name}`,
      assumedBy: new ArnPrincipal(props.syncRoleArn),
      inlinePolicies: {
        cluster: new PolicyDocument({
          statements: [
            new PolicyStatement({ actions: ['eks:DescribeCluster'], resources: [clusterArn] }),
            new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secretsArn] }),
            // BatchGetSecretValue has no resource-level permissions; it returns only the secrets that
            // GetSecretValue above allows, so `*` here widens nothing.
            new PolicyStatement({ actions: ['secretsmanager:BatchGetSecretValue'], resources: ['*'] }),
            // Remote charts in Amazon ECR are pulled as the cluster's role (functions/shared/charts.ts).
            ...(ecrArns.length > 0
              ? [
                  new PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }),
                  new PolicyStatement({
                    actions: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
                    resources: ecrArns,
                  }),
                ]
              : []),
          ],
        }),
      },
    });
    const accessPolicies: CfnAccessEntry.AccessPolicyProperty[] = [
      {
        policyArn: accessPolicyArn(NAMESPACE_ACCESS_POLICIES[cluster.access ?? 'edit']),
        accessScope: { type: 'namespace', namespaces: [...cluster.allowedNamespaces] },
      },
    ];
    if (cluster.clusterScoped) {
      accessPolicies.push({
        policyArn: accessPolicyArn(CLUSTER_ADMIN_POLICY),
        accessScope: { type: 'cluster' },
      });
    }
    this.accessEntry = new CfnAccessEntry(this, 'AccessEntry', {
      clusterName: cluster.name,
      principalArn: this.role.roleArn,
      type: 'STANDARD',
      accessPolicies,
    });
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'BatchGetSecretValue supports no resource-level permissions; it returns only the secrets GetSecretValue allows (plumbline/<cluster>/*).' +
        (ecrArns.length > 0
          ? ' ecr:GetAuthorizationToken supports none either; the token pulls only from the repositories granted below.'
          : ''),
    });
    for (const arn of ecrArns) {
      Validations.of(this.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${arn.replace(Aws.PARTITION, '<AWS::Partition>')}]`,
        reason:
          'A chartRepositories entry allows every chart under its path: each is its own ECR repository.',
      });
    }
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:plumbline/${cluster.name}/*]`,
      reason: 'A cluster reads only its own secrets: everything under plumbline/<cluster>/.',
    });
    // CloudFormation is regional: an access entry can only be made in the cluster's region.
    new CfnRule(this, 'ClusterRegion', {
      assertions: [
        {
          assert: Fn.conditionEquals(Aws.REGION, cluster.region),
          assertDescription: `cluster ${cluster.name} is in ${cluster.region}: deploy this stack there, or use ClusterAccessStack`,
        },
      ],
    });
  }
}
