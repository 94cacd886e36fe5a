import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ClusterAccessStack } from '../../infra/cluster-access-stack';
import type { ClusterAccessLevel, ClusterProps } from '../../infra/config';
import { KUBECTL_LAYER_ARN, nagFindings, PROPS, synth } from './stack';

const policyArn = (name: string) => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:eks::aws:cluster-access-policy/${name}`]],
});

function accessPolicies(cluster: Partial<ClusterProps>) {
  const { template, stack } = synth({
    ...PROPS,
    clusters: [
      { name: 'prod', region: 'eu-west-1', allowedNamespaces: ['shop'], clusterScoped: false, ...cluster },
    ],
  });
  const entries = Object.values(template.findResources('AWS::EKS::AccessEntry'));
  expect(entries).toHaveLength(1);
  return { policies: entries[0]!.Properties.AccessPolicies as unknown[], stack };
}

describe('ClusterAccess access policy', () => {
  it.each([
    ['view', 'AmazonEKSViewPolicy'],
    ['edit', 'AmazonEKSEditPolicy'],
    ['admin', 'AmazonEKSAdminPolicy'],
  ] as const)('maps access %s to %s in the allowed namespaces only', (access: ClusterAccessLevel, policy) => {
    const { policies, stack } = accessPolicies({ access });
    expect(policies).toEqual([
      { PolicyArn: policyArn(policy), AccessScope: { Type: 'namespace', Namespaces: ['shop'] } },
    ]);
    expect(nagFindings(stack)).toEqual([]);
  });

  it('gives edit when access is not set', () => {
    expect(accessPolicies({}).policies).toEqual([
      {
        PolicyArn: policyArn('AmazonEKSEditPolicy'),
        AccessScope: { Type: 'namespace', Namespaces: ['shop'] },
      },
    ]);
  });

  it('adds cluster admin at cluster scope where clusterScoped, next to the namespaced policy', () => {
    expect(accessPolicies({ access: 'admin', clusterScoped: true }).policies).toEqual([
      {
        PolicyArn: policyArn('AmazonEKSAdminPolicy'),
        AccessScope: { Type: 'namespace', Namespaces: ['shop'] },
      },
      { PolicyArn: policyArn('AmazonEKSClusterAdminPolicy'), AccessScope: { Type: 'cluster' } },
    ]);
  });

  it('writes no policy ARN in the aws partition alone, in either stack', () => {
    const app = new App({ builtinCloudFormationValidation: false });
    const access = new ClusterAccessStack(app, 'Access', {
      env: { account: '222222222222', region: 'cn-north-1' },
      cluster: {
        name: 'edge',
        region: 'cn-north-1',
        allowedNamespaces: ['edge'],
        access: 'view',
        clusterScoped: true,
      },
      syncRoleArn: 'arn:aws-cn:iam::111111111111:role/Plumbline-sync-cn-north-1',
    });
    const awsOnly = (json: unknown) => JSON.stringify(json).match(/"arn:aws:[^"]*"/g) ?? [];
    expect(awsOnly(Template.fromStack(access).toJSON())).toEqual([]);
    // The test's stand-in kubectl layer is the one literal ARN in the main stack.
    expect(awsOnly(synth().template.toJSON())).toEqual([`"${KUBECTL_LAYER_ARN}"`]);
  });
});
