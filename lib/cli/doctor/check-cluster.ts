import { type Cluster, DescribeClusterCommand, ResourceNotFoundException } from '@aws-sdk/client-eks';
import { eksToken } from '../../adapters/aws/eks-token';
import type { ClusterProps } from '../../core/deployment/config';
import { awsCli, type DoctorContext, principalOf } from './context';
import { type DoctorRow, fail, messageOf, ok, skip } from './rows';

/** DescribeCluster, as a row; the cluster too when it exists. */
export async function describeClusterRow(
  ctx: DoctorContext,
  c: ClusterProps,
  index: number,
): Promise<{ row: DoctorRow; cluster?: Cluster }> {
  const check = `cluster ${c.name} (${c.region})`;
  try {
    const { cluster } = await ctx.ports.eks(c.region).send(new DescribeClusterCommand({ name: c.name }));
    if (!cluster) return { row: fail(check, 'DescribeCluster returned no cluster', 'run doctor again') };
    if (cluster.status !== 'ACTIVE')
      return {
        row: fail(
          check,
          `status ${cluster.status}`,
          'wait until the cluster is ACTIVE, then run doctor again',
        ),
        cluster,
      };
    return { row: ok(check, `ACTIVE, Kubernetes ${cluster.version ?? '?'}`), cluster };
  } catch (err: unknown) {
    if (err instanceof ResourceNotFoundException)
      return {
        row: fail(
          check,
          `no EKS cluster ${c.name} in ${c.region} of account ${ctx.caller.account}`,
          `correct clusters[${index}].name or .region in ${ctx.configFile} (${awsCli(ctx, 'eks list-clusters', c.region)} lists them)`,
        ),
      };
    return {
      row: fail(
        check,
        `cannot describe it: ${messageOf(err)}`,
        'allow eks:DescribeCluster to this principal',
      ),
    };
  }
}

/** Plumbline uses access entries: the authentication mode must include the EKS API. */
export function authModeRow(ctx: DoctorContext, c: ClusterProps, cluster: Cluster): DoctorRow {
  const check = `cluster ${c.name}: authentication mode`;
  const mode = cluster.accessConfig?.authenticationMode ?? 'CONFIG_MAP';
  if (mode === 'API' || mode === 'API_AND_CONFIG_MAP') return ok(check, mode);
  return fail(
    check,
    `${mode} does not include the API (access entries)`,
    awsCli(
      ctx,
      `eks update-cluster-config --name ${c.name} --access-config authenticationMode=API_AND_CONFIG_MAP`,
      c.region,
    ),
  );
}

/**
 * With `network`, the sync function runs in that VPC and reaches the private endpoint, which resolves
 * only inside the cluster's VPC; without it, the function has no fixed address, so the public
 * endpoint must be open to all (0.0.0.0/0).
 */
export function endpointRow(ctx: DoctorContext, c: ClusterProps, cluster: Cluster): DoctorRow {
  const check = `cluster ${c.name}: endpoint access`;
  const vpc = cluster.resourcesVpcConfig;
  const network = ctx.config.network;
  const update = (setting: string) =>
    awsCli(ctx, `eks update-cluster-config --name ${c.name} --resources-vpc-config ${setting}`, c.region);
  if (network) {
    if (!vpc?.endpointPrivateAccess)
      return fail(
        check,
        'network is set but the private endpoint is off',
        update('endpointPrivateAccess=true'),
      );
    if (vpc.vpcId && vpc.vpcId !== network.vpcId)
      return fail(
        check,
        `the cluster is in ${vpc.vpcId}, network.vpcId is ${network.vpcId}: its private endpoint resolves only in its VPC`,
        `set network.vpcId to ${vpc.vpcId} (and subnetIds of that VPC) in ${ctx.configFile}`,
      );
    return ok(
      check,
      `private endpoint in ${network.vpcId} (its security group ${vpc.clusterSecurityGroupId ?? ''} must allow 443 from the sync function's)`,
    );
  }
  if (!vpc?.endpointPublicAccess)
    return fail(
      check,
      'the public endpoint is off and network is not set: the sync function cannot reach the cluster',
      `set network {vpcId: ${vpc?.vpcId ?? '<vpc>'}, subnetIds, availabilityZones} in ${ctx.configFile}`,
    );
  const cidrs = vpc.publicAccessCidrs ?? ['0.0.0.0/0'];
  if (!cidrs.includes('0.0.0.0/0'))
    return fail(
      check,
      `the public endpoint admits only ${cidrs.join(', ')}; a Lambda function outside a VPC has no fixed address`,
      `set network in ${ctx.configFile}, or ${update('publicAccessCidrs=0.0.0.0/0')}`,
    );
  return ok(check, 'public endpoint, open to the sync function');
}

/** GET each allowed namespace with the user's own credentials, through an EKS token. */
export async function namespacesRow(
  ctx: DoctorContext,
  c: ClusterProps,
  cluster: Cluster,
): Promise<DoctorRow> {
  const check = `cluster ${c.name}: namespaces`;
  const endpoint = cluster.endpoint;
  const caData = cluster.certificateAuthority?.data;
  if (!endpoint || !caData)
    return fail(check, 'the cluster has no endpoint yet', 'run doctor again when it has');
  let token: string;
  try {
    const credentials = await ctx.ports.credentials();
    const now = ctx.ports.now?.();
    ({ token } = await eksToken({ cluster: c.name, region: c.region, credentials, ...(now ? { now } : {}) }));
  } catch (err: unknown) {
    return fail(check, `cannot sign an EKS token: ${messageOf(err)}`, 'check your AWS credentials');
  }
  const missing: string[] = [];
  for (const ns of c.allowedNamespaces) {
    const answer = await ctx.ports.namespaces.get({ endpoint, caData, token }, ns);
    if (answer.kind === 'found') continue;
    if (answer.kind === 'missing') {
      missing.push(ns);
      continue;
    }
    if (answer.kind === 'unreachable') {
      const privateOnly = !cluster.resourcesVpcConfig?.endpointPublicAccess;
      if (privateOnly)
        return skip(
          check,
          `the private endpoint is not reachable from here (${answer.message})`,
          'run doctor inside the VPC',
        );
      return fail(
        check,
        `cannot reach ${endpoint}: ${answer.message}`,
        'check your network, then run doctor again',
      );
    }
    const me = principalOf(ctx.caller.arn);
    const associate = awsCli(
      ctx,
      `eks associate-access-policy --cluster-name ${c.name} --principal-arn ${me} --policy-arn arn:${ctx.caller.partition}:eks::aws:cluster-access-policy/AmazonEKSViewPolicy --access-scope type=cluster`,
      c.region,
    );
    // 401: the cluster does not know this principal (no access entry); 403: it does, without read access.
    const create = awsCli(
      ctx,
      `eks create-access-entry --cluster-name ${c.name} --principal-arn ${me}`,
      c.region,
    );
    return fail(
      check,
      `HTTP ${answer.status} reading namespace ${ns} as ${me}: ${answer.message}`,
      answer.status === 401 ? `${create} && ${associate}` : associate,
    );
  }
  if (missing.length === 0) return ok(check, `${c.allowedNamespaces.join(', ')} exist`);
  // An app may declare its own Namespace only where cluster-scoped kinds are allowed.
  if (c.clusterScoped)
    return skip(
      check,
      `${missing.join(', ')} not found: an app must create ${missing.length > 1 ? 'them' : 'it'} (clusterScoped)`,
    );
  const kubeconfig = awsCli(ctx, `eks update-kubeconfig --name ${c.name}`, c.region);
  return fail(
    check,
    `${missing.join(', ')} not found`,
    `${kubeconfig} && ${missing.map((ns) => `kubectl create namespace ${ns}`).join(' && ')}`,
  );
}
