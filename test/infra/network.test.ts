import { Match } from 'aws-cdk-lib/assertions';
import { type NetworkProps, PlumblineConfigError, parsePlumblineConfig } from '../../infra/config';
import { SYNC_INTERFACE_ENDPOINTS } from '../../infra/constructs/sync-network';
import { nagFindings, PROPS, synth } from './stack';

const NETWORK: NetworkProps = {
  vpcId: 'vpc-0abc',
  subnetIds: ['subnet-0a', 'subnet-0b'],
  availabilityZones: ['eu-west-1a', 'eu-west-1b'],
};
type Statement = { Action: string | string[]; Resource: unknown };

function syncStatements(template: ReturnType<typeof synth>['template']): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes('PlumblineSyncRole'))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}
const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const ec2 = (resource: string) => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':ec2:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      `:${resource}`,
    ],
  ],
});

describe('private cluster network', () => {
  it('lets the sync role create, describe and delete its network interfaces, and cdk-nag stays clean', () => {
    const { template, stack } = synth({ ...PROPS, network: NETWORK });
    const statements = syncStatements(template).filter((s) => actions(s).some((a) => a.startsWith('ec2:')));
    const sg = Object.keys(template.findResources('AWS::EC2::SecurityGroup'))[0]!;
    expect(statements).toEqual([
      expect.objectContaining({
        Action: 'ec2:CreateNetworkInterface',
        Resource: [
          ec2('network-interface/*'),
          ec2('subnet/subnet-0a'),
          ec2('subnet/subnet-0b'),
          {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':ec2:',
                { Ref: 'AWS::Region' },
                ':',
                { Ref: 'AWS::AccountId' },
                ':security-group/',
                { 'Fn::GetAtt': [sg, 'GroupId'] },
              ],
            ],
          },
        ],
      }),
      expect.objectContaining({
        Action: [
          'ec2:DeleteNetworkInterface',
          'ec2:AssignPrivateIpAddresses',
          'ec2:UnassignPrivateIpAddresses',
        ],
        Resource: ec2('network-interface/*'),
      }),
      expect.objectContaining({
        Action: ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'],
        Resource: '*',
      }),
    ]);
    // Lambda checks the permissions when it creates the function: the policy must exist first.
    const fn = Object.values(template.findResources('AWS::Lambda::Function')).find(
      (f) => f.Properties.VpcConfig,
    );
    expect(fn?.DependsOn).toEqual(
      expect.arrayContaining([expect.stringMatching(/^PlumblineSyncRoleDefaultPolicy/)]),
    );
    expect(nagFindings(stack)).toEqual([]);
  });

  it('gives no EC2 permission to any role without network', () => {
    const all = Object.values(synth().template.findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as Statement[],
    );
    expect(all.flatMap(actions).filter((a) => a.startsWith('ec2:'))).toEqual([]);
  });

  it("opens 443 on each cluster security group to the function's security groups", () => {
    const given = synth({
      ...PROPS,
      network: { ...NETWORK, securityGroupIds: ['sg-0f1', 'sg-0f2'], clusterSecurityGroupIds: ['sg-0c1'] },
    });
    given.template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 2);
    for (const source of ['sg-0f1', 'sg-0f2'])
      given.template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
        GroupId: 'sg-0c1',
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
        SourceSecurityGroupId: source,
      });
    const created = synth({
      ...PROPS,
      network: { ...NETWORK, clusterSecurityGroupIds: ['sg-0c1', 'sg-0c2'] },
    });
    created.template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 2);
    created.template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: 'sg-0c2',
      FromPort: 443,
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('SyncSecurityGroup'), 'GroupId'] },
    });
    expect(nagFindings(created.stack)).toEqual([]);
    const none = synth({ ...PROPS, network: NETWORK }).template;
    none.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
    // Then the README's rule is added by hand, with the groups of this output.
    none.hasOutput('*', {
      Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('SyncSecurityGroup'), 'GroupId'] },
    });
  });

  it('creates the endpoints the sync function calls, reachable from its security group only, when asked', () => {
    const { template, stack } = synth({
      ...PROPS,
      network: { ...NETWORK, createEndpoints: true, routeTableIds: ['rtb-0a'] },
    });
    const endpoints = Object.values(template.findResources('AWS::EC2::VPCEndpoint'));
    const names = endpoints.map((e) => JSON.stringify(e.Properties.ServiceName).match(/\.([a-z]+)"/)?.[1]);
    expect(names.sort()).toEqual([...Object.keys(SYNC_INTERFACE_ENDPOINTS), 'dynamodb'].sort());
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Interface',
      PrivateDnsEnabled: true,
      SubnetIds: ['subnet-0a', 'subnet-0b'],
      VpcId: 'vpc-0abc',
    });
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      RouteTableIds: ['rtb-0a'],
    });
    // The endpoints' one security group lets in HTTPS from the function, and nothing else.
    const groups = template.findResources('AWS::EC2::SecurityGroup');
    const endpointGroup = Object.keys(groups).find((id) => id.includes('EndpointSecurityGroup'))!;
    for (const e of endpoints.filter((e) => e.Properties.VpcEndpointType === 'Interface'))
      expect(e.Properties.SecurityGroupIds).toEqual([{ 'Fn::GetAtt': [endpointGroup, 'GroupId'] }]);
    const intoEndpoints = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress'))
      .map((r) => r.Properties)
      .filter((p) => JSON.stringify(p.GroupId).includes(endpointGroup));
    expect(intoEndpoints).toEqual([
      expect.objectContaining({
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
        SourceSecurityGroupId: { 'Fn::GetAtt': [expect.stringMatching(/SyncSecurityGroup/), 'GroupId'] },
      }),
    ]);
    for (const group of Object.values(groups))
      expect(JSON.stringify(group.Properties.SecurityGroupIngress ?? [])).not.toContain('CidrIp');
    expect(nagFindings(stack)).toEqual([]);
    synth({ ...PROPS, network: NETWORK }).template.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
  });

  it('refuses createEndpoints without the route tables of the gateway endpoint', () => {
    const raw = {
      repositories: PROPS.repositories,
      clusters: [{ name: 'prod', region: 'eu-west-1', allowedNamespaces: ['apps'] }],
      network: { ...NETWORK, createEndpoints: true, clusterSecurityGroupIds: ['nope'] },
    };
    let error: unknown;
    try {
      parsePlumblineConfig(raw);
    } catch (err: unknown) {
      error = err;
    }
    expect(error).toBeInstanceOf(PlumblineConfigError);
    expect((error as PlumblineConfigError).issues).toEqual([
      'network.clusterSecurityGroupIds[0]: must be a security group id',
      "network.routeTableIds: needed with createEndpoints: DynamoDB's gateway endpoint is a route in these tables",
    ]);
  });
});
