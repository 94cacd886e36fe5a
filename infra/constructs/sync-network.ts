import { Aws, CfnOutput, Fn, Validations } from 'aws-cdk-lib';
import {
  CfnSecurityGroupIngress,
  CfnVPCEndpoint,
  GatewayVpcEndpointAwsService,
  InterfaceVpcEndpoint,
  InterfaceVpcEndpointAwsService,
  type ISecurityGroup,
  type IVpc,
  Port,
  SecurityGroup,
  Subnet,
  type SubnetSelection,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import { type IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { NetworkProps } from '../config';

/**
 * The AWS APIs the sync function calls from its subnets, and why: in a subnet without NAT each needs
 * an endpoint (`network.createEndpoints` makes them). Logs, EMF metrics and X-Ray traces need none:
 * Lambda itself carries them. Git hosts are not here: they need a route (NAT, or a proxy).
 */
export const SYNC_INTERFACE_ENDPOINTS = {
  sts: 'AssumeRole of each cluster role',
  eks: 'DescribeCluster: the endpoint and CA of each cluster',
  secretsmanager: 'git credentials, the audit HMAC key, plumbline/<cluster>/ secrets',
  kms: 'GenerateMac of audit records',
  events: 'PutEvents of plumbline.sync events',
  sqs: 'ChangeMessageVisibility: the backoff of a transient failure',
} as const;
/** DynamoDB (audit and state tables) is reached through a gateway endpoint, on the route tables. */
export const SYNC_GATEWAY_ENDPOINTS = { dynamodb: 'the audit and state tables' } as const;

/** What the sync function is given to run in the configured VPC. */
export interface SyncNetwork {
  readonly vpc: IVpc;
  readonly subnets: SubnetSelection;
  readonly securityGroups: ISecurityGroup[];
}

/**
 * The sync function's VPC, subnets and security groups, made in `scope` (the ids are the ones the
 * stack always had, so upgrading replaces nothing); the ingress on each cluster security group, and
 * the endpoints when asked for.
 */
export function syncNetwork(scope: Construct, net: NetworkProps): SyncNetwork {
  const vpc = Vpc.fromVpcAttributes(scope, 'Vpc', {
    vpcId: net.vpcId,
    availabilityZones: [...net.availabilityZones],
  });
  const subnets = { subnets: net.subnetIds.map((id, i) => Subnet.fromSubnetId(scope, `Subnet${i}`, id)) };
  const securityGroups: ISecurityGroup[] = net.securityGroupIds
    ? net.securityGroupIds.map((id, i) => SecurityGroup.fromSecurityGroupId(scope, `SecurityGroup${i}`, id))
    : [
        new SecurityGroup(scope, 'SyncSecurityGroup', {
          vpc,
          description: 'Plumbline sync function',
          allowAllOutbound: true,
        }),
      ];
  // The API server accepts only what its cluster security group lets in: HTTPS from the function.
  (net.clusterSecurityGroupIds ?? []).forEach((groupId, i) => {
    securityGroups.forEach((source, j) => {
      new CfnSecurityGroupIngress(scope, `ClusterIngress${i}From${j}`, {
        groupId,
        ipProtocol: 'tcp',
        fromPort: 443,
        toPort: 443,
        sourceSecurityGroupId: source.securityGroupId,
        description: 'Plumbline sync function to the EKS API server',
      });
    });
  });
  // For the ingress rule on a cluster security group, where clusterSecurityGroupIds does not add it.
  new CfnOutput(scope, 'SyncSecurityGroupIds', {
    value: Fn.join(
      ',',
      securityGroups.map((sg) => sg.securityGroupId),
    ),
  });
  if (net.createEndpoints) createEndpoints(scope, vpc, subnets, securityGroups, net.routeTableIds ?? []);
  return { vpc, subnets, securityGroups };
}

function createEndpoints(
  scope: Construct,
  vpc: IVpc,
  subnets: SubnetSelection,
  clients: readonly ISecurityGroup[],
  routeTableIds: readonly string[],
): void {
  // One group for all of them: HTTPS from the function's groups in, nothing out.
  const endpointGroup = new SecurityGroup(scope, 'EndpointSecurityGroup', {
    vpc,
    description: 'Plumbline sync function VPC endpoints',
    allowAllOutbound: false,
  });
  for (const client of clients)
    endpointGroup.addIngressRule(client, Port.tcp(443), 'Plumbline sync function');
  for (const service of Object.keys(SYNC_INTERFACE_ENDPOINTS)) {
    new InterfaceVpcEndpoint(scope, `Endpoint-${service}`, {
      vpc,
      service: new InterfaceVpcEndpointAwsService(service),
      subnets,
      privateDnsEnabled: true,
      securityGroups: [endpointGroup],
      // Not `open` (the whole VPC CIDR, which an imported VPC does not know): the function only.
      open: false,
    });
  }
  // A gateway endpoint is a route, made in the route tables of the function's subnets.
  new CfnVPCEndpoint(scope, 'Endpoint-dynamodb', {
    vpcId: vpc.vpcId,
    serviceName: GatewayVpcEndpointAwsService.DYNAMODB.name,
    vpcEndpointType: 'Gateway',
    routeTableIds: [...routeTableIds],
  });
}

/**
 * What AWSLambdaVPCAccessExecutionRole gives, on the function's own role (CDK adds that policy only to
 * roles it makes): Lambda creates and deletes the function's network interfaces with these. Create is
 * scoped to the configured subnets and the function's security groups; Describe* take no resource.
 */
export function allowNetworkInterfaces(
  role: IRole,
  subnetIds: readonly string[],
  network: SyncNetwork,
): void {
  const ec2 = (resource: string) => `arn:${Aws.PARTITION}:ec2:${Aws.REGION}:${Aws.ACCOUNT_ID}:${resource}`;
  const interfaces = ec2('network-interface/*');
  role.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['ec2:CreateNetworkInterface'],
      resources: [
        interfaces,
        ...subnetIds.map((id) => ec2(`subnet/${id}`)),
        ...network.securityGroups.map((sg) => ec2(`security-group/${sg.securityGroupId}`)),
      ],
    }),
  );
  role.addToPrincipalPolicy(
    new PolicyStatement({
      actions: [
        'ec2:DeleteNetworkInterface',
        'ec2:AssignPrivateIpAddresses',
        'ec2:UnassignPrivateIpAddresses',
      ],
      resources: [interfaces],
    }),
  );
  role.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'],
      resources: ['*'],
    }),
  );
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:network-interface/*]',
    reason:
      'Lambda names the network interface only once it exists; create is also bound to the configured subnets and security groups.',
  });
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'X-Ray PutTraceSegments/PutTelemetryRecords and EC2 DescribeNetworkInterfaces/DescribeSubnets support no resource-level permissions.',
  });
}
